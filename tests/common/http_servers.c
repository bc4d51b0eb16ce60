/* http_servers.c - see http_servers.h. */
#include "http_servers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* the peers' W5 ip.json, byte for byte (313 bytes) */
const char hs_ip_json[] =
    "{\"ip\": \"203.0.113.7\", \"hostname\": \"host-203-0-113-7.example."
    "net\", \"city\": \"Springfield\", \"region\": \"Example Region\", \"co"
    "untry\": \"ZZ\", \"loc\": \"0.0000,0.0000\", \"org\": \"AS64500 Exampl"
    "e Networks (documentation address range)\", \"postal\": \"00000\""
    ", \"timezone\": \"Etc/UTC\", \"asn\": 64500, \"anycast\": false, \"bo"
    "gon\": false}\n";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool have(const char *prog) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
    return system(cmd) == 0;
}

int hs_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

bool hs_wait_port(int port, double seconds) {
    double end = now_s() + seconds;
    while (now_s() < end) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return true;
        usleep(20000);
    }
    return false;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void hs_rmdir(const char *dir) {
    if (dir && *dir)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool write_file(const char *dir, const char *name, const void *data,
                       size_t len) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static pid_t spawn(char *const argv[], int out_fd) {
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(out_fd >= 0 ? out_fd : null, 1);
        if (!getenv("CIO_TEST_SERVER_STDERR"))
            dup2(null, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

void hs_stop(hs_server *sv) {
    if (sv->pid > 0) {
        kill(sv->pid, SIGTERM);
        int st;
        double end = now_s() + 5;
        while (waitpid(sv->pid, &st, WNOHANG) == 0) {
            if (now_s() > end) {
                kill(sv->pid, SIGKILL);
                waitpid(sv->pid, &st, 0);
                break;
            }
            usleep(10000);
        }
    }
    sv->pid = 0;
    hs_rmdir(sv->dir);
    sv->dir[0] = '\0';
}

bool hs_make_cert(char *dir, size_t cap) {
    if (!have("openssl")) {
        fprintf(stderr, "openssl not found\n");
        return false;
    }
    snprintf(dir, cap, "/tmp/cio-cert-XXXXXX");
    if (!mkdtemp(dir))
        return false;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
             "/CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
             "-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
             dir, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "openssl req failed\n");
        hs_rmdir(dir);
        return false;
    }
    return true;
}

bool hs_make_client_cert(const char *dir) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "(cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
             "-subj /CN=cio-test-ca -keyout ca.key -out ca.pem && "
             "openssl req -newkey rsa:2048 -nodes -subj /CN=cio-test-client "
             "-keyout client.key -out client.csr && "
             "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
             "-CAcreateserial -days 2 -out client.pem) >/dev/null 2>&1",
             dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "openssl: no client certificate\n");
        return false;
    }
    return true;
}

static bool nginx_conf(hs_server *sv, unsigned flags, const char *cert_dir) {
    char conf[4096], tls[1024] = "", mtls[512] = "";
    const char *d = sv->dir;
    if (flags & HS_MTLS)
        snprintf(mtls, sizeof mtls,
                 "    ssl_verify_client on;\n"
                 "    ssl_client_certificate %s/ca.pem;\n",
                 cert_dir);
    if (flags & HS_TLS)
        snprintf(tls, sizeof tls,
                 "  server { listen 127.0.0.1:%d ssl%s; root www;\n"
                 "    ssl_certificate %s/cert.pem;\n"
                 "    ssl_certificate_key %s/key.pem;\n%s"
                 "    location / { add_header X-Conn $connection; }\n"
                 "    location = /latin1.txt { types { } default_type "
                 "\"text/plain; charset=iso-8859-1\"; }\n  }\n",
                 sv->port2, (flags & HS_H2) ? " http2" : "", cert_dir, cert_dir,
                 mtls);
    snprintf(
        conf, sizeof conf,
        "daemon off;\nmaster_process off;\nworker_processes 1;\n"
        "pid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n  types { application/json json; text/html html; }\n"
        "  default_type application/octet-stream;\n  access_log off;\n"
        "  keepalive_requests 1000000;\n  http2_max_concurrent_streams 128;\n"
        "  client_body_temp_path %s/t1; proxy_temp_path %s/t2;\n"
        "  fastcgi_temp_path %s/t3; uwsgi_temp_path %s/t4; scgi_temp_path "
        "%s/t5;\n"
        "  server { listen 127.0.0.1:%d%s; root www;\n"
        "    location / { add_header X-Conn $connection; }\n"
        "    location = /latin1.txt { types { } default_type "
        "\"text/plain; charset=iso-8859-1\"; }\n  }\n%s}\n",
        d, d, d, d, d, d, d, sv->port, (flags & HS_H2C) ? " http2" : "", tls);
    return write_file(d, "nginx.conf", conf, strlen(conf));
}

static bool nginx_files(const char *dir) {
    char www[160];
    snprintf(www, sizeof www, "%s/www", dir);
    if (mkdir(www, 0755) != 0)
        return false;
    size_t big = 1 << 20;
    char *b = malloc(big);
    if (!b)
        return false;
    for (size_t i = 0; i < big; i++)
        b[i] = (char)('a' + i % 26);
    bool ok = write_file(www, "ip.json", hs_ip_json, strlen(hs_ip_json)) &&
              write_file(www, "big.bin", b, big) &&
              write_file(www, "latin1.txt", "caf\xe9 cr\xe8me", 10);
    free(b);
    return ok;
}

bool hs_nginx_start(hs_server *sv, unsigned flags, const char *cert_dir) {
    memset(sv, 0, sizeof *sv);
    if (!have("nginx")) {
        fprintf(stderr, "nginx not found (apt-get install nginx-light)\n");
        return false;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        snprintf(sv->dir, sizeof sv->dir, "/tmp/cio-nginx-XXXXXX");
        if (!mkdtemp(sv->dir) || !nginx_files(sv->dir))
            return false;
        sv->port = hs_free_port();
        sv->port2 = (flags & HS_TLS) ? hs_free_port() : 0;
        if (!nginx_conf(sv, flags, cert_dir))
            return false;
        char *argv[] = {"nginx",      "-p", sv->dir,     "-c",
                        "nginx.conf", "-e", "error.log", NULL};
        sv->pid = spawn(argv, -1);
        if (hs_wait_port(sv->port, 10) &&
            (!sv->port2 || hs_wait_port(sv->port2, 10)))
            return true;
        hs_stop(sv);
    }
    fprintf(stderr, "nginx did not start\n");
    return false;
}

bool hs_fault_start(hs_server *sv) {
    memset(sv, 0, sizeof *sv);
    if (!have("python3")) {
        fprintf(stderr, "python3 not found\n");
        return false;
    }
    char script[512];
    snprintf(script, sizeof script, "%s", __FILE__);
    char *slash = strrchr(script, '/');
    snprintf(slash ? slash + 1 : script,
             sizeof script - (size_t)(slash ? slash + 1 - script : 0),
             "fault_server.py");
    int p[2];
    if (pipe(p) != 0)
        return false;
    char *argv[] = {"python3", script, NULL};
    sv->pid = spawn(argv, p[1]);
    close(p[1]);
    FILE *f = fdopen(p[0], "r");
    char line[128] = "";
    bool ok = f && fgets(line, sizeof line, f) &&
              sscanf(line, "PORTS %d %d", &sv->port, &sv->port2) == 2;
    if (f)
        fclose(f);
    else
        close(p[0]);
    if (!ok) {
        fprintf(stderr, "fault_server.py did not start\n");
        hs_stop(sv);
    }
    return ok;
}

bool hs_s_server_start(hs_server *sv, const char *cert_dir) {
    memset(sv, 0, sizeof *sv);
    if (!have("openssl"))
        return false;
    for (int attempt = 0; attempt < 3; attempt++) {
        sv->port = hs_free_port();
        char accept[32], cert[200], key[200];
        snprintf(accept, sizeof accept, "127.0.0.1:%d", sv->port);
        snprintf(cert, sizeof cert, "%s/cert.pem", cert_dir);
        snprintf(key, sizeof key, "%s/key.pem", cert_dir);
        char *argv[] = {"openssl", "s_server", "-accept", accept,
                        "-cert",   cert,       "-key",    key,
                        "-www",    "-quiet",   NULL};
        sv->pid = spawn(argv, -1);
        if (hs_wait_port(sv->port, 10))
            return true;
        hs_stop(sv);
    }
    fprintf(stderr, "openssl s_server did not start\n");
    return false;
}
