"""What each image on top of debian adds beyond its packages (users, directories, config files,
links), each step what the package's maintainer scripts or upstream's image would have done.
Used by build.py."""

from __future__ import annotations

from fstree import Tree, add_dir, add_file, add_symlink, add_user

REDIS_UID = 999  # the uid the official redis image gives its user


def customize_redis(tree: Tree) -> None:
    add_user(tree, "redis", REDIS_UID, "/var/lib/redis", "")
    # redis-tools' postinst Setup_dir calls
    adm = 4
    add_dir(tree, "var/log/redis", 0o2750, REDIS_UID, adm)
    add_dir(tree, "var/lib/redis", 0o750, REDIS_UID, REDIS_UID)
    add_dir(tree, "etc/redis", 0o2770, REDIS_UID, REDIS_UID)
    # The working directory, as in the official image.
    add_dir(tree, "data", 0o755, REDIS_UID, REDIS_UID)


NGINX_SITE = """\
# gorae: serve the bundled welcome page. IPv4 only, so it starts in a network namespace
# without IPv6 too.
server {
\tlisten 80 default_server;
\tserver_name _;
\troot /usr/share/nginx/html;
\tindex index.html;
\tlocation / {
\t\ttry_files $uri $uri/ =404;
\t}
}
"""


NGINX_INDEX = """\
<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<title>고래에 오신 것을 환영합니다!</title>
<style>
body { font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.6; }
</style>
</head>
<body>
<h1>고래에 오신 것을 환영합니다!</h1>
<p>이 페이지는 컨테이너 안의 nginx가 보여 줍니다.</p>
<p lang="en">Welcome to gorae! This page is served by nginx inside a container.</p>
</body>
</html>
"""


def customize_nginx(tree: Tree) -> None:
    add_file(tree, "usr/share/nginx/html/index.html", NGINX_INDEX)
    add_file(tree, "etc/nginx/sites-available/default", NGINX_SITE)
    add_symlink(tree, "etc/nginx/sites-enabled/default", "/etc/nginx/sites-available/default")
    # As the official image does: logs go to the container's output.
    add_dir(tree, "var/log/nginx", 0o755)
    add_symlink(tree, "var/log/nginx/access.log", "/dev/stdout")
    add_symlink(tree, "var/log/nginx/error.log", "/dev/stderr")
    # nginx creates body/, proxy/ … itself, but only inside an existing /var/lib/nginx.
    add_dir(tree, "var/lib/nginx", 0o755)
    for sub in ["body", "fastcgi", "proxy", "scgi", "uwsgi"]:
        add_dir(tree, f"var/lib/nginx/{sub}", 0o700, 33, 0)


# The registry as upstream's `registry:2` image has it (distribution/distribution-library-image):
# its config at /etc/docker/registry/config.yml (no auth, storage in /var/lib/registry, port
# 5000), the binary reachable as `registry`, and its entrypoint script. Debian's own config
# (htpasswd auth, /var/lib/docker-registry) is replaced.
REGISTRY_CONFIG = """version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
"""


REGISTRY_ENTRYPOINT = """#!/bin/sh

set -e

case "$1" in
    *.yaml|*.yml) set -- registry serve "$@" ;;
    serve|garbage-collect|help|-*) set -- registry "$@" ;;
esac

exec "$@"
"""


def customize_registry(tree: Tree) -> None:
    add_file(tree, "etc/docker/registry/config.yml", REGISTRY_CONFIG)
    add_symlink(tree, "usr/bin/registry", "docker-registry")
    add_file(tree, "entrypoint.sh", REGISTRY_ENTRYPOINT, 0o755)
    add_dir(tree, "var/lib/registry", 0o755)
