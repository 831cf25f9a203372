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
"""
import os
import random
import re
import select
import socket
import struct
import sys
import time
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


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "wsd":
        wsd(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None,
            float(sys.argv[4]) if len(sys.argv) > 4 else 2.0)
    elif len(sys.argv) == 4 and sys.argv[1] in ("rtsp", "https"):
        (rtsp if sys.argv[1] == "rtsp" else https)(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "dhcp":
        sys.exit(dhcp(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 3.0))
    else:
        sys.exit(__doc__)
