# Helpers for the TLS and token tests (sourced after lib.sh): certificates made with the openssl
# CLI, servers started in the background and waited for over https.

# make_ca NAME: NAME.key and NAME.pem, a self-signed CA (with the extensions strict verifiers
# such as Python 3.13's want).
make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -out "$1.pem" -days 2 -subj "/CN=Plinth test $1" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
}
# make_key OUT: an EC private key.
make_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
# make_cert CA KEY SERIAL OUT: a server certificate for 127.0.0.1 and localhost signed by CA.
make_cert() {
  openssl req -new -key "$2" -subj "/CN=127.0.0.1" -out "$4.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "authorityKeyIdentifier=keyid" "subjectKeyIdentifier=hash" >"$4.ext"
  openssl x509 -req -in "$4.csr" -CA "$1.pem" -CAkey "$1.key" -set_serial "$3" -days 2 \
    -extfile "$4.ext" -out "$4" 2>/dev/null
}
# make_pki DIR: DIR/ca.pem, DIR/wrong-ca.pem, DIR/server.key with DIR/server.pem (serial 0x1001)
# and DIR/server2.pem (serial 0x1002), DIR/other.key (belongs to neither).
make_pki() {
  mkdir -p "$1"
  (cd "$1" && make_ca ca && make_ca wrong-ca && make_key server.key && make_key other.key &&
    make_cert ca server.key 0x1001 server.pem && make_cert ca server.key 0x1002 server2.pem) ||
    { echo "FAIL: openssl could not make the test certificates" >&2; exit 1; }
}

# served_serial PORT: the serial of the certificate a new TLS connection to PORT gets.
served_serial() {
  openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null
}

# start_bg LOG CMD...: runs CMD in the background (stdout and stderr to LOG), remembers its pid
# in BG_PIDS and LAST_PID, and waits until LOG shows an https:// URL, which it puts in URL.
BG_PIDS=()
start_bg() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  LAST_PID=$!
  BG_PIDS+=("$LAST_PID")
  for _ in $(seq 1 300); do
    if grep -q "https://127.0.0.1:[0-9]" "$log"; then
      URL=$(grep -o 'https://127.0.0.1:[0-9]*' "$log" | head -1)
      return 0
    fi
    kill -0 "$LAST_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL: '$*' did not start:" >&2
  cat "$log" >&2
  exit 1
}
stop_bg() {
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  BG_PIDS=()
}
