/**
 * Certificates for TLS tests, made with the openssl command in a temporary folder:
 * a CA, a server certificate for 127.0.0.1/localhost and a client certificate, all
 * signed by the CA. Undefined when openssl is not available.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore", timeout: 10_000 });
}

function keyAndCsr(dir: string, name: string, cn: string): void {
  openssl(dir, [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}-key.pem`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
}

function sign(dir: string, name: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca-key.pem",
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

export function makeCerts(): TestCerts | undefined {
  const dir = mkdtempSync(join(tmpdir(), "resgate-ts-tls-"));
  try {
    openssl(dir, [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "ca-key.pem",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=resgate-ts test CA",
    ]);
    keyAndCsr(dir, "server", "127.0.0.1");
    sign(dir, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    keyAndCsr(dir, "client", "resgate-ts");
    sign(dir, "client", "extendedKeyUsage=clientAuth\n");
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const f = (n: string) => join(dir, n);
  return {
    dir,
    ca: f("ca.pem"),
    serverCert: f("server.pem"),
    serverKey: f("server-key.pem"),
    clientCert: f("client.pem"),
    clientKey: f("client-key.pem"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
