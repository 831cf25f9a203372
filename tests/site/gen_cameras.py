#!/usr/bin/python3
"""Writes the camera side of a simulated site (called by tests/site/sitesim, not meant for direct use).

usage: gen_cameras.py STATE_DIR SPEC LAN_NET FAR_NET PREFIX [PROFILE]
       gen_cameras.py lease STATE_DIR HOST LEASE_FILE
  SPEC     "default" | N (number of single cameras) | PATH to a sitelink-simcam config JSON
  LAN_NET  first three octets of the main LAN, e.g. 192.168.77
  FAR_NET  first three octets of the routed second subnet, e.g. 192.168.78
  PREFIX   namespace prefix (device namespace = PREFIX-host)
  PROFILE  full (default) | lan: the lan profile has no DHCP server, so its DHCP camera falls back to
           a static address (and reports DHCP off)

DHCP cameras (default SPEC, full profile: cam4): their address is not known until the camera's DHCP
client (udhcpc, run by sitesim in the camera's namespace) holds a lease. Until then their simcam.json
and devices.json entry have "address": null; the "lease" form then fills both in from LEASE_FILE (the
KEY=VALUE lines written by sitesim's udhcpc script: ip, subnet, router, dns) and sets "dhcp": true.

Each generated device also listens on the TCP app ports that its vendor's profile
(profiles/vendors/*.json, "app_ports") lists for its role, recorder (the multi-channel NVR) or camera,
as the real device would: Sitelink forwards those ports and verify checks they answer.

Writes, under STATE_DIR:
  <host>/simcam.json                  one sitelink-simcam config per camera namespace
  <host>/etc-avahi/services/*.service avahi static services for cameras that announce over mDNS
  devices.json                        every simulated device (what tests compare the agent against)
  cameras.list                        "host subnet(lan|far) mdns(0|1) mdns-hostname dhcp(0|1) mac" per camera
                                      namespace, for the shell
"""
import glob
import json
import os
import sys
from xml.sax.saxutils import escape

# Realistic, distinct identities: vendor OUIs are the real ones, serial formats follow each vendor.
VENDORS = [
    dict(manufacturer="AXIS", model="P3245-LVE", mac_oui="ac:cc:8e", auth="digest",
         user="root", password="Axis-Pa55!", mdns="axis"),
    dict(manufacturer="HIKVISION", model="DS-2CD2143G2-I", mac_oui="bc:ad:28", auth="both",
         user="admin", password="Hik&12345<x/", mdns=None),
    dict(manufacturer="Dahua", model="IPC-HDW2431T-AS-S2", mac_oui="3c:ef:8c", auth="usernametoken",
         user="admin", password="Dahua#2024", mdns="http"),
    dict(manufacturer="Hanwha Vision", model="XNV-6080R", mac_oui="00:09:18", auth="digest",
         user="admin", password="Hanwha!6080", mdns=None),
    dict(manufacturer="Bosch", model="FLEXIDOME IP 5000i", mac_oui="00:07:5f", auth="digest",
         user="service", password="B0sch!far", mdns=None),
    dict(manufacturer="VIVOTEK", model="FD9387-HV", mac_oui="00:02:d1", auth="digest",
         user="root", password="Vivo-Dhcp_9387", mdns=None),
]


PROFILES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            "profiles", "vendors")
_vendor_profiles = None


def vendor_profiles():
    global _vendor_profiles
    if _vendor_profiles is None:
        _vendor_profiles = [read_json(p) for p in sorted(glob.glob(os.path.join(PROFILES_DIR, "*.json")))]
        if not _vendor_profiles:
            sys.exit("gen_cameras: no vendor profiles in %s" % PROFILES_DIR)
    return _vendor_profiles


def app_ports_for(manufacturer, role):
    """The TCP app ports the vendor profile lists for ROLE ("recorder" | "camera"). The profile is
    chosen as Sitelink does (VendorProfile::made): the first, in file name order, one of whose
    manufacturer_names is in the manufacturer, case-insensitively. An entry without roles is for all."""
    wanted = manufacturer.lower()
    for profile in vendor_profiles():
        if any(name and name.lower() in wanted for name in profile.get("manufacturer_names", [])):
            return sorted({a["port"] for a in profile.get("app_ports", [])
                           if a.get("protocol", "TCP") == "TCP" and role in a.get("roles", [role])})
    return []


def mac_for(oui, n):
    return "%s:%02x:%02x:%02x" % (oui, 0x4e, (n * 37) & 0xFF, (0x10 + n) & 0xFF)


def serial_for(v, mac, n):
    m = v["manufacturer"]
    if m in ("AXIS", "VIVOTEK"):
        return mac.replace(":", "").upper()
    if m == "HIKVISION":
        return "%s20230415AAWRJ%08d" % (v["model"], 41520000 + n)
    if m == "Dahua":
        return "7J0A8B1PAZ%05d" % (12000 + n)
    if m == "Hanwha Vision":
        return "ZN7V70GR%06dK" % (500000 + n)
    return "%09d%09d" % (404000000 + n, 211000000 + n)


def profiles(channels, main=(1920, 1080), sub=(640, 360)):
    """sitelink-simcam profile objects: token, name, encoding, width, height, stream_path, snapshot_path."""
    out = []
    for ch in range(1, channels + 1):
        multi = channels > 1
        out.append(dict(token="Profile_%d_main" % ch if multi else "Profile_1",
                        name="Channel %d main" % ch if multi else "mainStream", encoding="H264",
                        width=main[0], height=main[1], stream_path="/Streaming/Channels/%d01" % ch,
                        snapshot_path="/ISAPI/Streaming/channels/%d01/picture" % ch))
        out.append(dict(token="Profile_%d_sub" % ch if multi else "Profile_2",
                        name="Channel %d sub" % ch if multi else "subStream", encoding="H264",
                        width=sub[0], height=sub[1], stream_path="/Streaming/Channels/%d02" % ch,
                        snapshot_path="/ISAPI/Streaming/channels/%d02/picture" % ch))
    return out


def device(v, n, address, prefix, channels=1, name=None, model=None, lan=None):
    """A simcam device; address None = a DHCP camera whose address comes from its lease (gateway and
    DNS then default to LAN_NET.1 until the lease says otherwise)."""
    mac = mac_for(v["mac_oui"], n)
    gw = (address or lan + ".0").rsplit(".", 1)[0] + ".1"
    d = dict(address=address, prefix=prefix,
             name=name or "%s %s" % (v["manufacturer"], model or v["model"]),
             serial=serial_for(v, mac, n), mac=mac, manufacturer=v["manufacturer"],
             model=model or v["model"], firmware="5.%d.%d" % (n % 10, 3 + n % 7),
             auth=v["auth"], dhcp=address is None,
             users=[dict(username=v["user"], password=v["password"], level="Administrator")],
             gateway=[gw], dns=[gw], location="site",
             profiles=profiles(channels))
    ports = app_ports_for(v["manufacturer"], "recorder" if channels > 1 else "camera")
    if ports:
        d["app_ports"] = ports
    if v["manufacturer"] == "AXIS":
        d["name"] = "AXIS %s - %s" % (d["model"], d["serial"])
    return d


def avahi_services(dev, kind, host):
    mac = dev["mac"].replace(":", "").upper()
    svcs = []
    if kind == "axis":
        svcs.append(("_axis-video._tcp", 80, ["macaddress=%s" % mac]))
        svcs.append(("_http._tcp", 80, ["path=/", "macaddress=%s" % mac]))
        svcs.append(("_rtsp._tcp", 554, ["path=/axis-media/media.amp", "macaddress=%s" % mac]))
    elif kind == "http":
        svcs.append(("_http._tcp", 80, ["path=/", "mac=%s" % dev["mac"], "model=%s" % dev["model"]]))
        svcs.append(("_rtsp._tcp", 554, ["path=/cam/realmonitor?channel=1&subtype=0"]))
    body = "".join(
        "  <service><type>%s</type><port>%d</port>%s</service>\n"
        % (t, p, "".join("<txt-record>%s</txt-record>" % escape(x) for x in txt)) for t, p, txt in svcs)
    name = dev["name"] if kind == "axis" else "%s %s" % (dev["manufacturer"], dev["serial"])
    return ('<?xml version="1.0" standalone="no"?>\n<!DOCTYPE service-group SYSTEM "avahi-service.dtd">\n'
            "<service-group>\n  <name>%s</name>\n%s</service-group>\n" % (escape(name), body)), [t for t, _, _ in svcs]


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, data):
    # written under another name and renamed: a reader never sees half a file
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=2)
    os.replace(path + ".tmp", path)


def apply_lease(st, host, lease_file):
    """Puts the leased address into HOST's simcam.json and devices.json (see the module doc)."""
    lease = {}
    with open(lease_file) as f:
        for line in f:
            k, sep, v = line.rstrip("\n").partition("=")
            if sep:
                lease[k] = v
    ip = lease.get("ip", "")
    if len(ip.split(".")) != 4:
        sys.exit("gen_cameras: %s: no address in the lease" % lease_file)
    mask = lease.get("subnet") or "255.255.255.0"
    prefix = sum(bin(int(x)).count("1") for x in mask.split("."))
    router = lease.get("router", "").split()
    dns = lease.get("dns", "").split()
    cfg_path = os.path.join(st, host, "simcam.json")
    cfg = read_json(cfg_path)
    dev = cfg["devices"][0]
    dev.update(address=ip, prefix=prefix, dhcp=True)
    if router:
        dev["gateway"] = router[:1]
    if dns:
        dev["dns"] = dns
    write_json(cfg_path, cfg)
    devs_path = os.path.join(st, "devices.json")
    devs = read_json(devs_path)
    for d in devs:
        if d["host"] == host:
            d.update(address=ip, prefix=prefix, dhcp=True, onvif_url="http://%s/onvif/device_service" % ip)
    write_json(devs_path, devs)
    print(ip)


def main():
    if sys.argv[1:2] == ["lease"]:
        apply_lease(*sys.argv[2:5])
        return
    st, spec, lan, far, prefix = sys.argv[1:6]
    profile = sys.argv[6] if len(sys.argv) > 6 else "full"
    hosts = []  # (host, subnet, mdns_kind, [devices])
    if spec == "default":
        hosts.append(("cam1", "lan", "axis", [device(VENDORS[0], 1, lan + ".21", 24)]))
        hosts.append(("cam2", "lan", None, [device(VENDORS[1], 2, lan + ".22", 24)]))
        hosts.append(("cam3", "lan", "http", [device(VENDORS[2], 3, lan + ".23", 24)]))
        # ONVIF only, address from the router's DHCP server (the lan profile has none: static .24)
        hosts.append(("cam4", "lan", None, [device(VENDORS[5], 6, None if profile == "full" else lan + ".24", 24,
                                                   lan=lan)]))
        nvr = device(VENDORS[3], 4, lan + ".30", 24, channels=8, model="XRN-810S",
                     name="Hanwha Vision XRN-810S")
        nvr["users"][0]["password"] = "Nvr-Pass_8ch"
        hosts.append(("nvr1", "lan", None, [nvr]))
        hosts.append(("far1", "far", None, [device(VENDORS[4], 5, far + ".20", 24)]))
    elif spec.isdigit():
        n = int(spec)
        octets = list(range(21, 100)) + list(range(200, 255))
        if not 1 <= n <= len(octets):
            sys.exit("gen_cameras: SITESIM_CAMERAS=%d: want 1..%d" % (n, len(octets)))
        for i in range(1, n + 1):
            v = VENDORS[(i - 1) % 4]
            kind = v["mdns"]
            hosts.append(("cam%d" % i, "lan", kind, [device(v, i, "%s.%d" % (lan, octets[i - 1]), 24)]))
    else:
        with open(spec) as f:
            cfg = json.load(f)
        devs = list(cfg.get("devices", []))
        gen = cfg.get("generate")
        if gen:  # sitelink-simcam's "generate": count devices from first_address up
            a = [int(x) for x in gen["first_address"].split(".")]
            base = (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]
            for i in range(int(gen.get("count", 0))):
                v = base + i
                devs.append(dict(address="%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255),
                                 prefix=gen.get("prefix", 24), generated=True))
        hosts.append(("cam1", "lan", None, devs))
        extra = {k: v for k, v in cfg.items() if k not in ("interface", "add_addresses", "devices")}
    all_devices = []
    with open(os.path.join(st, "cameras.list"), "w") as lst:
        for host, subnet, kind, devs in hosts:
            d = os.path.join(st, host)
            os.makedirs(os.path.join(d, "etc-avahi", "services"), exist_ok=True)
            cfg = dict(interface="eth0", add_addresses=True,
                       devices=[x for x in devs if not x.get("generated")])
            if spec not in ("default",) and not spec.isdigit():
                cfg.update(extra)
            with open(os.path.join(d, "simcam.json"), "w") as f:
                json.dump(cfg, f, indent=2)
            mdns_types = []
            if kind:
                xml, mdns_types = avahi_services(devs[0], kind, host)
                with open(os.path.join(d, "etc-avahi", "services", "camera.service"), "w") as f:
                    f.write(xml)
            for dev in devs:
                u = (dev.get("users") or [{}])[0]
                all_devices.append(dict(
                    host=host, namespace="%s-%s" % (prefix, host), subnet=subnet, address=dev.get("address"), prefix=dev.get("prefix", 24),
                    name=dev.get("name"), serial=dev.get("serial"), mac=dev.get("mac"),
                    manufacturer=dev.get("manufacturer"), model=dev.get("model"), auth=dev.get("auth"),
                    username=u.get("username"), password=u.get("password"), users=dev.get("users", []),
                    profiles=len(dev.get("profiles", [])), mdns=mdns_types, dhcp=bool(dev.get("dhcp")),
                    app_ports=dev.get("app_ports", []),
                    onvif_url="http://%s/onvif/device_service" % dev.get("address") if dev.get("address") else None))
            # the mDNS host name a real one would use (Axis: axis-<mac>)
            mdns_host = "axis-" + devs[0]["mac"].replace(":", "") if kind == "axis" else \
                "%s-%s" % (prefix, host)
            dhcp = len(devs) == 1 and devs[0].get("address") is None
            lst.write("%s %s %d %s %d %s\n" % (host, subnet, 1 if kind else 0, mdns_host, 1 if dhcp else 0,
                                              devs[0].get("mac") or "-" if devs else "-"))
    write_json(os.path.join(st, "devices.json"), all_devices)


if __name__ == "__main__":
    main()
