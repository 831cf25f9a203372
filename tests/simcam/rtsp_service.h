// A minimal RTSP/1.0 server (RFC 2326) for one simulated camera: enough for a client such as
// ffmpeg, VLC or an outside-in reachability check to find a stream, through a port forward too,
// not enough to watch one. OPTIONS; DESCRIBE of a profile's stream_path, behind Digest (MD5,
// RFC 2617, with or without qop=auth) or Basic authentication for any configured user (none on a
// device with auth "none"), answered with a one-track H.264 SDP. SETUP, PLAY and TEARDOWN are
// advertised, as cameras do, but there is no media, so they get 455; other methods get 405.
// Malformed input gets 400 and the connection is closed.
#pragma once

#include <string>

#include "device.h"

namespace simcam {

// Serves requests on an accepted socket until the client closes it, goes quiet, sends something
// malformed or the device reboots. Takes ownership of fd. Runs on a worker thread.
void serve_rtsp_connection(int fd, const Device& device, const std::string& peer);

}  // namespace simcam
