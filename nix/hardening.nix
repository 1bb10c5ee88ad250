# Sandbox of bitpoll.service (and bitpoll-backup.service).
#
# A plain attribute set of systemd.exec directives in NixOS `serviceConfig`
# form, deliberately without `lib` or `pkgs`: it evaluates on its own with
# `nix-instantiate --eval --strict --json`, so CI can render it into a unit
# file and score it with `systemd-analyze security --offline=true`, and the
# plain units in deploy/systemd/ are checked against it.
#
# What the app needs, and therefore is left open:
# - AF_UNIX (sd_notify, PostgreSQL socket), AF_INET and AF_INET6 (remote
#   PostgreSQL or SMTP); the module adds IPAddressDeny= when nothing remote
#   is configured;
# - the Nix store for code and the data directory for state (the module adds
#   StateDirectory= or ReadWritePaths=); everything else is read-only.
{
  # No privileges at all: no capabilities, no way to gain any, and a user
  # namespace that maps only the service user.
  CapabilityBoundingSet = "";
  AmbientCapabilities = "";
  NoNewPrivileges = true;
  PrivateUsers = true;
  RestrictSUIDSGID = true;
  RemoveIPC = true;
  KeyringMode = "private";

  # File system: read-only everywhere but the state directory, no home
  # directories, private /tmp and /dev, and nothing executable outside the
  # Nix store (Python loads its extension modules from there).
  ProtectSystem = "strict";
  ProtectHome = true;
  PrivateTmp = true;
  PrivateDevices = true;
  DevicePolicy = "closed";
  PrivateMounts = true;
  UMask = "0077";
  # The unit must add its state directory (and any ReadWritePaths=): they
  # are mounts of their own, which NoExecPaths=/ does not reach (measured
  # under systemd 257 in tests/system).
  NoExecPaths = [ "/" ];
  ExecPaths = [ "/nix/store" ];
  # No RestrictFileSystems=, on purpose. Where it is enforced (systemd with
  # the BPF framework on a kernel running the BPF LSM, as on NixOS and
  # Debian 13) it breaks this service both ways it can be written, measured
  # under systemd 257 in tests/system:
  # - a deny list naming @historical-block denies ext4 too (ext2, ext3 and
  #   ext4 share one superblock magic), so exec fails with 203/EXEC or the
  #   database cannot be opened;
  # - any value at all, allow list or deny list, together with a fixed
  #   User= or PrivateUsers= fails every start with 244/BPF
  #   ("bpf-restrict-fs: Failed to create inner BPF map: Operation not
  #   permitted"), and this service needs both.
  # What it would add is small here: without capabilities, with
  # ~@privileged (no mount) and the Protect* settings, the service can
  # neither mount a file system nor write kernel interfaces.
  ProtectProc = "invisible";
  ProcSubset = "pid";

  # Kernel and host.
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectClock = true;
  ProtectHostname = true;
  ProtectControlGroups = true;

  # IPC and network.
  PrivateIPC = true;
  RestrictAddressFamilies = [
    "AF_UNIX"
    "AF_INET"
    "AF_INET6"
  ];
  RestrictNamespaces = true;

  # System calls: Python and gunicorn need neither writable-executable
  # memory nor privileged or resource-changing calls. Denied calls fail with
  # EPERM instead of killing the process, so an unexpected one is logged by
  # the app rather than turned into a crash loop.
  LockPersonality = true;
  MemoryDenyWriteExecute = true;
  RestrictRealtime = true;
  SystemCallArchitectures = "native";
  SystemCallFilter = [
    "@system-service"
    "~@privileged"
    "~@resources"
  ];
  SystemCallErrorNumber = "EPERM";
}
