{
  description = "Bitpoll: self-hosted polls and meeting scheduling";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      linuxSystems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      # The package and the development shell also evaluate on macOS; the
      # NixOS module and its VM tests are Linux only.
      allSystems = linuxSystems ++ [
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forSystems = systems: f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      vmTestsFor =
        pkgs:
        lib.optionalAttrs pkgs.stdenv.hostPlatform.isLinux {
          vm-sqlite = pkgs.testers.runNixOSTest (import ./nix/tests/sqlite.nix { inherit self; });
          vm-postgresql = pkgs.testers.runNixOSTest (
            import ./nix/tests/postgresql.nix { inherit self; }
          );
          vm-ldap = pkgs.testers.runNixOSTest (import ./nix/tests/ldap.nix { inherit self; });
        };

      bitpollFor = pkgs: pkgs.callPackage ./nix/package.nix { vmTests = vmTestsFor pkgs; };
    in
    {
      overlays.default = final: _prev: { bitpoll = bitpollFor final; };

      packages = forSystems allSystems (
        pkgs:
        let
          bitpoll = bitpollFor pkgs;
        in
        {
          inherit bitpoll;
          default = bitpoll;
        }
      );

      apps = forSystems allSystems (pkgs: {
        default = {
          type = "app";
          program = lib.getExe self.packages.${pkgs.stdenv.hostPlatform.system}.default;
          meta.description = "The bitpoll command (serve, migrate, backup, ...)";
        };
      });

      nixosModules = {
        bitpoll =
          { lib, pkgs, ... }:
          {
            imports = [ ./nix/module.nix ];
            services.bitpoll.package =
              lib.mkDefault
                self.packages.${pkgs.stdenv.hostPlatform.system}.default;
          };
        default = self.nixosModules.bitpoll;
      };

      devShells = forSystems allSystems (
        pkgs:
        let
          bitpoll = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
          python = pkgs.python3.withPackages (
            ps:
            bitpoll.pythonDevPackages
            ++ [
              ps.mypy
              ps.django-stubs
            ]
          );
          # `bitpoll` from the working tree, so edits apply without a rebuild.
          bitpollFromSource = pkgs.writeShellScriptBin "bitpoll" ''
            exec ${python}/bin/python -m bitpoll "$@"
          '';
        in
        {
          default = pkgs.mkShell {
            packages = [
              python
              bitpollFromSource
              pkgs.ruff
              pkgs.nixfmt
              pkgs.nix
              pkgs.postgresql
              pkgs.wrk
              pkgs.gettext
            ]
            # systemd-analyze for the hardening checks in tests/nix.
            ++ lib.optional pkgs.stdenv.hostPlatform.isLinux pkgs.systemd;
            shellHook = ''
              export PYTHONPATH="$PWD/src''${PYTHONPATH:+:$PYTHONPATH}"
              # Lets tests/nix evaluate the module with the pinned nixpkgs lib.
              export NIXPKGS_LIB=${nixpkgs}/lib
              echo "bitpoll runserver  -> development server on http://127.0.0.1:8000"
            '';
          };
        }
      );

      checks =
        forSystems allSystems (pkgs: {
          package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        })
        // forSystems linuxSystems (
          pkgs:
          {
            package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
          }
          // vmTestsFor pkgs
        );

      formatter = forSystems allSystems (pkgs: pkgs.nixfmt);
    };
}
