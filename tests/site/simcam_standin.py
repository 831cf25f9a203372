#!/usr/bin/python3
# Stand-in for sitelink-simcam with the same CLI contract (--config --interface --ready-file): adds the
# device addresses, answers WS-Discovery Probes and serves a trivial HTTP page. No ONVIF. Used only when
# SITELINK_SIMCAM points at it (to check the site while the real simcam is unfinished); delete once
# sitelink-simcam builds.
import argparse, json, socket, struct, subprocess, threading, uuid, re, random, time, http.server

ap = argparse.ArgumentParser()
ap.add_argument("--config", required=True)
ap.add_argument("--interface")
ap.add_argument("--ready-file")
a = ap.parse_args()
cfg = json.load(open(a.config))
ifname = a.interface or cfg.get("interface", "eth0")
devs = cfg["devices"]
if cfg.get("add_addresses"):
    for d in devs:
        subprocess.run(["ip", "addr", "add", "%s/%d" % (d["address"], d.get("prefix", 24)), "dev", ifname])

for d in devs:
    d["uuid"] = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, d["mac"]))

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = ("standin %s\n" % self.server.dev["name"]).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *x): pass

for d in devs:
    s = http.server.ThreadingHTTPServer((d["address"], 80), H); s.dev = d
    threading.Thread(target=s.serve_forever, daemon=True).start()

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("", 3702))
ifaddr = devs[0]["address"]
sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("239.255.255.250") + socket.inet_aton(ifaddr))
print("simcam ready: %d devices" % len(devs), flush=True)
if a.ready_file:
    open(a.ready_file, "w").write("ready\n")
while True:
    data, peer = sock.recvfrom(65535)
    txt = data.decode(errors="replace")
    if "Probe" not in txt or "ProbeMatches" in txt:
        continue
    m = re.search(r"MessageID[^>]*>([^<]+)<", txt)
    rel = m.group(1) if m else ""
    for d in devs:
        resp = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
                'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
                'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header><a:MessageID>urn:uuid:%s</a:MessageID>'
                '<a:RelatesTo>%s</a:RelatesTo><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header>'
                '<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>%s</a:Address></a:EndpointReference>'
                '<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/name/%s</d:Scopes>'
                '<d:XAddrs>http://%s/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>'
                % (uuid.uuid4(), rel, d["uuid"], d["name"].replace(" ", "_"), d["address"]))
        out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        out.bind((d["address"], 0))
        time.sleep(random.uniform(0, 0.1))
        out.sendto(resp.encode(), peer)
        out.close()
