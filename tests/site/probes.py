#!/usr/bin/python3
"""Tiny protocol probes used by tests/site/selftest.sh (run inside a site namespace).

  probes.py wsd LOCAL_IP [TARGET_IP] [SECONDS]
      WS-Discovery Probe for dn:NetworkVideoTransmitter, multicast to 239.255.255.250:3702 out of the
      interface holding LOCAL_IP (or unicast to TARGET_IP; "-" = multicast). Sent 3 times; prints one
      line "match SRC_IP XADDRS" per distinct EndpointReference whose RelatesTo is our MessageID.
  probes.py dhcp IFNAME [SECONDS]
      DHCPDISCOVER on IFNAME (broadcast); prints "offer IP server SERVER_IP" for the first DHCPOFFER.
  probes.py rtsp HOST PORT
      RTSP OPTIONS rtsp://HOST:PORT/ with CSeq 7; prints the status line and the CSeq answered.
  probes.py https HOST PORT
      TLS (certificate not checked: cameras use self-signed ones), GET /; prints the status line.
  probes.py rtsp-describe URL USER PASSWORD
      RTSP DESCRIBE URL, answered again with Digest (MD5 preferred, else SHA-256; qop=auth when
      offered) or Basic on a 401; prints the final status line.
  probes.py onvif URL USER PASSWORD OPERATION
      A device-service OPERATION (GetDeviceInformation, GetUsers, ...) over HTTP Digest; prints
      "HTTP <status>" and, for a SOAP fault, its subcodes (ter:NotAuthorized, ...).
"""
import base64
import hashlib
import http.client
import os
import random
import re
import select
import socket
import struct
import sys
import time
import urllib.parse
import uuid

WSD_GROUP = ("239.255.255.250", 3702)


def wsd(local_ip, target, seconds):
    msg_id = "urn:uuid:%s" % uuid.uuid4()
    probe = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
        '<s:Header><a:MessageID>%s</a:MessageID>'
        '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>'
        '<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>'
        '</s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>'
        '</s:Envelope>' % msg_id).encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.bind((local_ip, 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(local_ip))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    dest = WSD_GROUP if target in (None, "-") else (target, 3702)
    seen = {}
    end = time.time() + seconds
    next_send, sent = time.time(), 0
    while time.time() < end:
        if sent < 3 and time.time() >= next_send:
            s.sendto(probe, dest)
            sent += 1
            next_send = time.time() + random.uniform(0.05, 0.25)
        r, _, _ = select.select([s], [], [], 0.05)
        if not r:
            continue
        data, peer = s.recvfrom(65535)
        text = data.decode("utf-8", "replace")
        rel = re.search(r"RelatesTo[^>]*>\s*([^<\s]+)\s*<", text)
        if not rel or rel.group(1) != msg_id or "ProbeMatch" not in text:
            continue
        epr = re.search(r"EndpointReference[^>]*>\s*<[^>]*Address[^>]*>\s*([^<\s]+)", text)
        xaddrs = re.search(r"XAddrs[^>]*>\s*([^<]+?)\s*<", text)
        key = epr.group(1) if epr else peer[0]
        if key not in seen:
            seen[key] = (peer[0], xaddrs.group(1) if xaddrs else "")
    for src, xa in seen.values():
        print("match %s %s" % (src, xa))
    print("matches=%d" % len(seen))


def dhcp(ifname, seconds):
    xid = random.getrandbits(32)
    mac = bytes([0x02, 0x51, 0x7e] + [random.getrandbits(8) for _ in range(3)])
    pkt = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4, b"\0" * 4,
                      b"\0" * 4, b"\0" * 4, mac + b"\0" * 10, b"\0" * 64, b"\0" * 128)
    pkt += b"\x63\x82\x53\x63" + bytes([53, 1, 1, 55, 3, 1, 3, 6, 255])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.bind(("", 68))
    end = time.time() + seconds
    s.sendto(pkt, ("255.255.255.255", 67))
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 0.1)
        if not r:
            continue
        data, peer = s.recvfrom(4096)
        if len(data) < 240 or struct.unpack("!I", data[4:8])[0] != xid:
            continue
        opts, i, mtype, server = data[240:], 0, None, peer[0]
        while i < len(opts) and opts[i] != 255:
            if opts[i] == 0:
                i += 1
                continue
            code, ln = opts[i], opts[i + 1]
            if code == 53:
                mtype = opts[i + 2]
            if code == 54:
                server = socket.inet_ntoa(opts[i + 2:i + 6])
            i += 2 + ln
        if mtype == 2:
            print("offer %s server %s" % (socket.inet_ntoa(data[16:20]), server))
            return 0
    print("no offer")
    return 1


def rtsp(host, port):
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(("OPTIONS rtsp://%s:%d/ RTSP/1.0\r\nCSeq: 7\r\n\r\n" % (host, port)).encode())
        answer = s.recv(4096).decode("latin-1")
    lines = answer.split("\r\n")
    cseq = [l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("cseq:")]
    print(lines[0], "CSeq", cseq[0] if cseq else "-")


def https(host, port):
    import ssl
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=5) as raw, context.wrap_socket(raw) as s:
        s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode())
        print(s.recv(4096).decode("latin-1").split("\r\n")[0])


def _digest_authorization(method, uri, user, password, challenges):
    """The Authorization value answering one of the Digest challenges (RFC 7616: MD5 or SHA-256,
    qop=auth when offered); Basic when no Digest challenge was made."""
    digests = [c for c in challenges if c.lower().startswith("digest ")]
    if not digests:
        return "Basic %s" % base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    offers = [dict(re.findall(r'(\w+)="?([^",]*)"?', c[7:])) for c in digests]
    params = next((o for o in offers if o.get("algorithm", "MD5").upper() == "MD5"), offers[0])
    algorithm = params.get("algorithm", "MD5").upper()
    digest = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[algorithm]
    h = lambda text: digest(text.encode()).hexdigest()
    ha1 = h("%s:%s:%s" % (user, params["realm"], password))
    ha2 = h("%s:%s" % (method, uri))
    extra = ', algorithm=%s' % algorithm
    if "auth" in [q.strip() for q in params.get("qop", "").split(",")]:
        cnonce = uuid.uuid4().hex[:16]
        response = h("%s:%s:00000001:%s:auth:%s" % (ha1, params["nonce"], cnonce, ha2))
        extra += ', qop=auth, nc=00000001, cnonce="%s"' % cnonce
    else:
        response = h("%s:%s:%s" % (ha1, params["nonce"], ha2))
    if "opaque" in params:
        extra += ', opaque="%s"' % params["opaque"]
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"%s'
            % (user, params["realm"], params["nonce"], uri, response, extra))


def _rtsp_exchange(sock, request):
    sock.sendall(request.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    head = head.decode(errors="replace")
    length = re.search(r"^Content-Length:\s*(\d+)", head, re.I | re.M)
    remaining = int(length.group(1)) - len(body) if length else 0
    while remaining > 0:
        chunk = sock.recv(remaining)
        if not chunk:
            break
        remaining -= len(chunk)
    return head


def rtsp_describe(url, user, password):
    parts = urllib.parse.urlsplit(url)
    clean = "rtsp://%s:%d%s" % (parts.hostname, parts.port or 554, parts.path + ("?" + parts.query if parts.query else ""))
    sock = socket.create_connection((parts.hostname, parts.port or 554), timeout=5)
    ask = "DESCRIBE %s RTSP/1.0\r\nCSeq: %d\r\nAccept: application/sdp\r\n%s\r\n"
    head = _rtsp_exchange(sock, ask % (clean, 1, ""))
    if " 401 " in head.split("\r\n")[0]:
        challenges = re.findall(r"^WWW-Authenticate:\s*(.*?)\s*$", head, re.I | re.M)
        authorization = _digest_authorization("DESCRIBE", clean, user, password, challenges)
        head = _rtsp_exchange(sock, ask % (clean, 2, "Authorization: %s\r\n" % authorization))
    print(head.split("\r\n")[0])


def onvif(url, user, password, operation):
    body = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body><tds:%s/></s:Body></s:Envelope>' % operation).encode()
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=5)
    conn.request("POST", path, body, headers)
    answer = conn.getresponse()
    text = answer.read().decode(errors="replace")
    if answer.status == 401:
        challenges = answer.headers.get_all("WWW-Authenticate") or []
        headers["Authorization"] = _digest_authorization("POST", path, user, password, challenges)
        conn.request("POST", path, body, headers)
        answer = conn.getresponse()
        text = answer.read().decode(errors="replace")
    subcodes = re.findall(r"<[^>]*Value>\s*([^<\s]+)\s*<", text)
    print("HTTP %d %s" % (answer.status, " ".join(subcodes)))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "wsd":
        wsd(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None,
            float(sys.argv[4]) if len(sys.argv) > 4 else 2.0)
    elif len(sys.argv) == 4 and sys.argv[1] in ("rtsp", "https"):
        (rtsp if sys.argv[1] == "rtsp" else https)(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "rtsp-describe":
        rtsp_describe(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 6 and sys.argv[1] == "onvif":
        onvif(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif len(sys.argv) >= 3 and sys.argv[1] == "dhcp":
        sys.exit(dhcp(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 3.0))
    else:
        sys.exit(__doc__)
