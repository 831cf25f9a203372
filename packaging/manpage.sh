#!/bin/bash
# Writes sitelink.1.gz from the CLI's own help, so the man page cannot drift from the options:
#   packaging/manpage.sh OUTPUT.1.gz COMMAND...
# COMMAND is how to run the built binary (an emulator in front of it when cross-building).
# Every command's `--help` becomes a subsection (CLI11's layout: description, Usage line, then
# Positionals/Options/Subcommands sections and a footer). Exit codes, files and environment, which
# the help does not list, are written below as the README gives them.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,3p' "$0" >&2; exit 2; }
output=$1; shift
sitelink=("$@")

# CLI11 help text to roff: each section's entries as tagged paragraphs (the option or argument in
# bold) under the section's name, the footer as a paragraph. An entry starts two columns in; one
# whose name fills CLI11's name field has its description on the next line, and every line indented
# further continues a description. `--help` itself is left out: every command has it.
to_roff() {
  awk '
    function esc(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); if (s ~ /^[.\047]/) s = "\\&" s; return s }
    function entry(name, desc,   flag, rest) {
      if (name ~ /^-h,--help$/) { skipping = 1; return }
      skipping = 0
      if (pending != "") { printf ".PP\n\\fB%s\\fR\n", esc(pending); pending = "" }
      flag = name; rest = ""
      if (match(name, / /)) { flag = substr(name, 1, RSTART - 1); rest = substr(name, RSTART) }
      printf ".TP\n\\fB%s\\fR%s\n", esc(flag), esc(rest)
      if (desc != "") print esc(desc)
    }
    NR == 1 { print ".PP"; print esc($0); next }
    /^Usage: / { next }
    /^$/ { section = ""; next }
    /^[A-Z][a-z]+:$/ { section = $0; pending = $0; next }
    section != "" && /^   +[^ ]/ { if (!skipping) { sub(/^ +/, ""); print esc($0) } next }
    section != "" && /^  [^ ]/ {
      line = substr($0, 3)
      if (match(line, /  +/)) entry(substr(line, 1, RSTART - 1), substr(line, RSTART + RLENGTH))
      else entry(line, "")
      next
    }
    { printf ".PP\n%s\n", esc($0) }
  '
}

subcommands() {
  awk '/^Subcommands:$/ { inside = 1; next } /^$/ { inside = 0 } inside && /^  [^ ]/ { print $1 }'
}

describe() { # describe WORD... : one subsection per command, depth first
  local help usage
  help=$("${sitelink[@]}" "$@" --help)
  usage=$(sed -n 's/^Usage: //p' <<<"$help")
  printf '.SS "%s"\n' "${usage//-/\\-}"
  to_roff <<<"$help"
  local sub
  for sub in $(subcommands <<<"$help"); do describe "$@" "$sub"; done
}

top_help=$("${sitelink[@]}" --help)
version=$("${sitelink[@]}" --version)
summary=$(head -n 1 <<<"$top_help")

roff=$(
  printf '.TH SITELINK 1 "" "%s" "User Commands"\n' "$version"
  summary=${summary#*: }
  printf '.SH NAME\nsitelink \\- %s\n' "${summary%.}"
  printf '.SH SYNOPSIS\n\\fBsitelink\\fR \\fICOMMAND\\fR [\\fISUBCOMMAND\\fR] [\\fIOPTIONS\\fR]\n'
  printf '.br\n\\fBsitelink \\-\\-version\\fR\n'
  cat <<'EOF'
.SH DESCRIPTION
Sitelink is the tool a security installer runs at a job site to make IP cameras and recorders
viewable from the customer's phone, safely: it discovers and inspects the devices, gives them fixed
addresses, configures the router's port forwarding, keeps a DDNS name fresh and verifies the site
from outside.
Data goes to standard output (a table, or JSON with \fB\-\-json\fR); progress, notes, warnings and
errors go to standard error.
\fBsitelink\fR \fICOMMAND\fR \fB\-\-help\fR prints a command's options as listed below.
.SH COMMANDS
EOF
  for command in $(subcommands <<<"$top_help"); do describe "$command"; done
  cat <<'EOF'
.SH EXIT STATUS
.TP
.B 0
done
.TP
.B 1
failed
.TP
.B 2
usage: bad arguments, missing password, no interface chosen
.TP
.B 3
partly done: some devices changed, some not; the output says which
.TP
.B 4
a precondition is not met: no such interface, not root for \fBdemo\fR, a broken profile, an
interrupted batch to resume first
.SH ENVIRONMENT
.TP
.B SITELINK_PASSWORD
the devices' ONVIF password (otherwise asked for; never given on the command line)
.TP
.B SITELINK_DDNS_SECRET
the DDNS provider's password, token or TSIG key for \fBddns set\fR
.TP
.B SITELINK_DATA_DIR
folder holding \fIsites/\fR and \fIsecret.key\fR instead of the defaults below
.TP
.B SITELINK_SECRET_KEY
another file for the key that seals stored secrets
.TP
.B SITELINK_PROFILES
another folder of vendor, router and DDNS profiles
.SH FILES
.TP
.I /var/lib/sitelink/sites/SITE.db
a site's database when run as root (the keeper service); \fI/var/lib/sitelink/secret.key\fR seals its secrets
.TP
.I ~/.local/share/sitelink/sites/SITE.db
a site's database for other users (\fI$XDG_DATA_HOME/sitelink/sites\fR when that is set)
.TP
.I /etc/sitelink/
the services' settings: \fIkeeper\-SITE.conf\fR, \fIprobe\-server.conf\fR and the probe server's
certificate, key and tokens
.TP
.I /usr/share/sitelink/profiles/
vendor, router and DDNS profiles
.SH SEE ALSO
.BR systemctl (1);
the units \fBsitelink\-keeper@.service\fR and \fBsitelink\-probe\-server.service\fR;
\fI/usr/share/doc/sitelink/README.md\fR
EOF
)
# -n: no name or time stamp in the gzip header, so the same help gives the same file
gzip -9n <<<"$roff" >"$output.tmp"
mv "$output.tmp" "$output"
