"""models:/ URIs on a real `plinth server --auth` over HTTPS: the package signs in and checks the
certificate as the CLI does (MLflow's variables: MLFLOW_TRACKING_USERNAME/PASSWORD,
MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_SERVER_CERT_PATH), and names the variable to set when it
cannot. The model is registered by `plinth train --register` against the same server."""

import base64
import json
import os
import ssl
import subprocess
import time
import urllib.request

import pyarrow.parquet as pq
import pytest

import plinth
from conftest import PLINTH

ADMIN, ADMIN_PASSWORD = "admin", "adm1n-Secret-Pw-93"
CAROL, CAROL_PASSWORD = "carol", "carol-Pa55word-7"
VARIABLES = ("PLINTH_TRACKING_URI", "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME",
             "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN",
             "MLFLOW_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_INSECURE_TLS", "PLINTH_CA_BUNDLE")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(name, cwd):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj",
            f"/CN=Plinth test {name}", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=cwd)


def make_pki(folder):
    """ca.pem, wrong-ca.pem, and server.pem/server.key for 127.0.0.1 signed by ca."""
    folder.mkdir()
    make_ca("ca", folder)
    make_ca("wrong-ca", folder)
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
            "server.key", cwd=folder)
    openssl("req", "-new", "-key", "server.key", "-subj", "/CN=127.0.0.1", "-out", "server.csr",
            cwd=folder)
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", "0x1001", "-days", "2", "-extfile", "server.ext", "-out", "server.pem",
            cwd=folder)


def call(base, ca, path, body, user, password):
    """POST JSON to the server as `user`; returns the answer's JSON."""
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    login = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {login}")
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


@pytest.fixture(scope="module")
def server(data, xgb_package, tmp_path_factory):
    """A TLS server with logins holding fraud/1 (registered by admin) and user carol (READ)."""
    root = tmp_path_factory.mktemp("server")
    make_pki(root / "pki")
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(PLINTH_ADMIN_USERNAME=ADMIN, PLINTH_ADMIN_PASSWORD=ADMIN_PASSWORD)
    log = open(root / "server.log", "w")
    process = subprocess.Popen(
        [PLINTH, "server", "--auth", "--port", "0", "--backend-store-uri",
         f"sqlite:///{root / 'mlruns.db'}", "--artifacts-destination", str(root / "artifacts"),
         "--tls-cert", str(root / "pki" / "server.pem"), "--tls-key",
         str(root / "pki" / "server.key")], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = None
        for _ in range(300):
            text = (root / "server.log").read_text()
            if "https://127.0.0.1:" in text:
                base = "https://127.0.0.1:" + text.split("https://127.0.0.1:")[1].split()[0].split("/")[0]
                break
            assert process.poll() is None, f"plinth server did not start: {text}"
            time.sleep(0.05)
        assert base, "plinth server printed no URL"
        ca = root / "pki" / "ca.pem"
        call(base, ca, "/api/2.0/mlflow/users/create",
             {"username": CAROL, "password": CAROL_PASSWORD}, ADMIN, ADMIN_PASSWORD)
        admin_env = dict(env, MLFLOW_TRACKING_URI=base, MLFLOW_TRACKING_USERNAME=ADMIN,
                         MLFLOW_TRACKING_PASSWORD=ADMIN_PASSWORD,
                         MLFLOW_TRACKING_SERVER_CERT_PATH=str(ca))
        subprocess.run([PLINTH, "-q", "train", "--data", str(data / "train.parquet"), "--target",
                        "is_fraud", "--params", f"{data / 'params.yaml'}:gbt", "--threads", "1",
                        "--out", str(root / "registered"), "--register", "fraud"],
                       cwd=root, env=admin_env, check=True, capture_output=True)
        yield {"base": base, "ca": ca, "wrong_ca": root / "pki" / "wrong-ca.pem",
               "package": root / "registered", "env": admin_env}
    finally:
        process.terminate()
        process.wait()
        log.close()


@pytest.fixture
def client(server, tmp_path, monkeypatch):
    """A fresh project folder, the server as tracking URI, no credentials yet."""
    monkeypatch.chdir(tmp_path)
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server["base"])
    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(server["ca"]))
    return monkeypatch


def test_no_credentials_name_the_variables(server, client):
    with pytest.raises(plinth.Error, match="MLFLOW_TRACKING_USERNAME") as caught:
        plinth.load_model("models:/fraud/1")
    assert caught.value.code == "permission"
    assert "HTTP 401" in str(caught.value) and server["base"] in str(caught.value)


def test_wrong_or_half_credentials_are_refused(server, client):
    client.setenv("MLFLOW_TRACKING_USERNAME", CAROL)
    client.setenv("MLFLOW_TRACKING_PASSWORD", "not-her-password")
    with pytest.raises(plinth.Error, match="refused the credentials in "
                       "MLFLOW_TRACKING_USERNAME=carol and MLFLOW_TRACKING_PASSWORD") as caught:
        plinth.load_model("models:/fraud/1")
    assert caught.value.code == "permission"
    assert "not-her-password" not in str(caught.value)
    client.delenv("MLFLOW_TRACKING_PASSWORD")
    with pytest.raises(plinth.Error, match="MLFLOW_TRACKING_USERNAME is set but "
                       "MLFLOW_TRACKING_PASSWORD is not") as caught:
        plinth.load_model("models:/fraud/1")
    assert caught.value.code == "invalid_input"


def test_password_and_token_sign_in(server, client, data):
    client.setenv("MLFLOW_TRACKING_USERNAME", CAROL)
    client.setenv("MLFLOW_TRACKING_PASSWORD", CAROL_PASSWORD)
    model = plinth.load_model("models:/fraud/1")
    assert (model.name, model.version) == ("fraud", "1")
    rows = pq.read_table(data / "score.parquet")
    assert model.predict(rows).equals(plinth.load_model(server["package"]).predict(rows))

    token = call(server["base"], server["ca"], "/api/2.0/plinth/tokens/create", {}, CAROL,
                 CAROL_PASSWORD)["token"]
    client.delenv("MLFLOW_TRACKING_USERNAME")
    client.delenv("MLFLOW_TRACKING_PASSWORD")
    client.setenv("MLFLOW_TRACKING_TOKEN", token)
    assert plinth.load_model("models:/fraud/1").version == "1"
    client.setenv("MLFLOW_TRACKING_TOKEN", token[:-4] + "0000")
    with pytest.raises(plinth.Error, match="refused the credentials in MLFLOW_TRACKING_TOKEN"):
        plinth.load_model("models:/fraud/1")


def test_the_certificate_is_checked(server, client):
    client.setenv("MLFLOW_TRACKING_USERNAME", CAROL)
    client.setenv("MLFLOW_TRACKING_PASSWORD", CAROL_PASSWORD)
    client.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(server["wrong_ca"]))
    with pytest.raises(plinth.Error, match="MLFLOW_TRACKING_SERVER_CERT_PATH") as caught:
        plinth.load_model("models:/fraud/1")
    assert str(server["wrong_ca"]) in str(caught.value)
    client.delenv("MLFLOW_TRACKING_SERVER_CERT_PATH")  # the system's CAs do not know ours
    with pytest.raises(plinth.Error, match="certificate"):
        plinth.load_model("models:/fraud/1")


def test_drift_against_the_registered_profile_equals_the_cli(server, client, data):
    """plinth.drift("models:/...") on the server with credentials: `plinth drift`'s report."""
    client.setenv("MLFLOW_TRACKING_USERNAME", CAROL)
    client.setenv("MLFLOW_TRACKING_PASSWORD", CAROL_PASSWORD)
    shifted = pq.read_table(data / "score.parquet").to_pandas()
    shifted["amount"] = shifted["amount"] * 3
    shifted.to_parquet("shifted.parquet")
    expected = json.loads(subprocess.run(
        [PLINTH, "drift", "--reference", "models:/fraud/1", "--current", "shifted.parquet",
         "--json", "-"], env=dict(os.environ), check=True, capture_output=True, text=True).stdout)
    assert expected["columns"]["amount"]["drifted"] is True
    assert plinth.drift("models:/fraud/1", shifted) == expected
    client.delenv("MLFLOW_TRACKING_PASSWORD")
    client.delenv("MLFLOW_TRACKING_USERNAME")
    with pytest.raises(plinth.Error, match="MLFLOW_TRACKING_USERNAME"):
        plinth.drift("models:/fraud/1", shifted)
