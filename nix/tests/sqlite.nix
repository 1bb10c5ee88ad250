# NixOS VM test: the default SQLite setup, end to end.
# Run with `nix build .#checks.x86_64-linux.vm-sqlite` (needs KVM).
{ self }:
{ lib, ... }:
{
  name = "bitpoll-sqlite";

  nodes.machine =
    { pkgs, ... }:
    {
      imports = [ self.nixosModules.default ];

      services.bitpoll = {
        enable = true;
        # Outside the store, as agenix or sops-nix would put it.
        secretKeyFile = "/run/bitpoll-test/secret_key";
        backup = {
          enable = true;
          startAt = "minutely";
          keep = 2;
        };
      };
      # The production jitter would make the test wait up to 15 minutes.
      systemd.timers.bitpoll-backup.timerConfig.RandomizedDelaySec = lib.mkForce "0";

      # A changed bitpoll.service, as a new package would bring, for the
      # `nixos-rebuild switch` check (sqlite.py switches to it and back).
      specialisation.upgraded.configuration = {
        services.bitpoll.settings.LOG_LEVEL = "debug";
      };

      systemd.tmpfiles.rules = [
        "d /run/bitpoll-test 0700 root root - -"
        "f /run/bitpoll-test/secret_key 0400 root root - vm-test-only-secret-key-3f9a1c0e8b7d6a5f4e3d2c1b0a9f8e7d"
      ];
      environment.systemPackages = [ pkgs.curl ];
    };

  testScript = builtins.readFile ./bitpoll_http.py + builtins.readFile ./sqlite.py;
}
