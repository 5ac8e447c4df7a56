#!/usr/bin/env bash
# The tracking CLI test with PLINTH_TRACKING_URI=http://... : every command through plinth
# server's REST API, and models resolve downloading the package from the artifact proxy.
CLI_VIA_SERVER=1 source "$(dirname "$0")/tracking_cli_test.sh"
