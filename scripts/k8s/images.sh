# Sourced by setup-k8s.sh: the two images every pod needs, made locally because nothing can be pulled:
# the sandbox (pause, a static C binary) and busybox (from Debian's busybox-static), as docker-archive tars.

# docker_archive ROOTFS REF OUT.tar ENTRYPOINT-JSON: a one-layer image that `ctr images import` accepts.
docker_archive() {
  local work layer config; work=$(mktemp -d)
  tar --numeric-owner --owner=0 --group=0 -C "$1" -cf "$work/layer.tar" .
  layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir -p "$work/out/$layer" && mv "$work/layer.tar" "$work/out/$layer/layer.tar"
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$4" "$layer" > "$work/config.json"
  config=$(sha256sum "$work/config.json" | cut -d' ' -f1) && mv "$work/config.json" "$work/out/$config.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config" "$2" "$layer" > "$work/out/manifest.json"
  tar -C "$work/out" -cf "$3" . && rm -rf "$work"
}

ensure_pause_image() {
  local dir=$K8S_ROOT/images
  [ -f "$dir/pause.tar" ] && return 0
  command -v gcc >/dev/null || die "gcc is needed to build the pause image (apt-get install gcc libc6-dev)"
  mkdir -p "$dir/pause-root"
  # PID 1 of every pod sandbox: reap children, exit on SIGINT/SIGTERM.
  printf '%s\n' '#include <signal.h>' '#include <sys/wait.h>' '#include <unistd.h>' \
    'static void stop(int s){(void)s;_exit(0);} static void reap(int s){(void)s;while(waitpid(-1,0,WNOHANG)>0);}' \
    'int main(void){struct sigaction a={.sa_handler=stop},b={.sa_handler=reap,.sa_flags=SA_NOCLDSTOP};sigaction(SIGINT,&a,0);sigaction(SIGTERM,&a,0);sigaction(SIGCHLD,&b,0);for(;;)pause();}' \
    > "$dir/pause.c"
  gcc -Os -static -o "$dir/pause-root/pause" "$dir/pause.c" && strip "$dir/pause-root/pause"
  docker_archive "$dir/pause-root" localhost/pause:local "$dir/pause.tar" '["/pause"]'
  ts "pause image built"
}

ensure_busybox_image() {
  local dir=$K8S_ROOT/images root
  [ -f "$dir/busybox.tar" ] && return 0
  root=$dir/busybox-root
  rm -rf "$root" && mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,data}
  cp "$K8S_ROOT/debs/root/bin/busybox" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd" && echo 'root:x:0:' > "$root/etc/group" && chmod 1777 "$root/tmp"
  docker_archive "$root" localhost/busybox:local "$dir/busybox.tar" null
  ts "busybox image built"
}
