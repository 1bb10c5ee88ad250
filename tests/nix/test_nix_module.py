"""nix/module.nix evaluated with nixpkgs' real module system (issue 4).

Each test evaluates the module, plus stub declarations of the NixOS options it
sets (nix/tests/eval/stubs.nix) and a stub `pkgs`, for one configuration, and
checks the units, socket, timer, users, environment and nginx configuration
it produces, or the assertion a bad configuration fires.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nixhelpers import (
    MODULE_TARGET,
    NIX_DIR,
    NixEvalError,
    as_lines,
    nix_eval_json,
    parse_unit,
    render_section,
)

PACKAGE = "/nix/store/00000000000000000000000000000000-bitpoll-0.1.0"
ENABLE = "services.bitpoll.enable = true;"


@pytest.fixture(scope="session")
def evaluate(nix_instantiate: str, nixpkgs_lib: Path) -> Callable[..., dict[str, Any]]:
    def run(
        configuration: str = "", part: str = "all", with_package: bool = True
    ) -> dict[str, Any]:
        expr = (
            f"import {NIX_DIR / 'tests' / 'eval'} {{"
            f" lib = import {nixpkgs_lib};"
            f" configuration = {{ lib, ... }}: {{ {ENABLE} {configuration} }};"
            f' part = "{part}"; withPackage = {"true" if with_package else "false"}; }}'
        )
        return nix_eval_json(nix_instantiate, expr)

    return run


@pytest.fixture(scope="session")
def default(evaluate: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return evaluate()


def _check_shell(script: str) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    done = subprocess.run([bash, "-n"], input=script, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# Default configuration: `services.bitpoll.enable = true;` and nothing else.


def test_it_evaluates_without_assertions_or_warnings(default: dict[str, Any]) -> None:
    assert default["failedAssertions"] == []
    assert default["warnings"] == []


def test_the_socket_holds_the_port_on_loopback(default: dict[str, Any]) -> None:
    socket = default["sockets"]["bitpoll"]
    assert socket["listenStreams"] == ["127.0.0.1:8000"]
    assert socket["wantedBy"] == ["sockets.target"]


def test_the_service_is_socket_activated_and_notifies(default: dict[str, Any]) -> None:
    service = default["services"]["bitpoll"]
    assert "bitpoll.socket" in service["requires"]
    assert "bitpoll.socket" in service["after"]
    assert service["wantedBy"] == ["multi-user.target"]
    assert service["serviceConfig"]["Type"] == "notify"


def test_the_service_migrates_before_serving_with_a_generous_timeout(
    default: dict[str, Any],
) -> None:
    config = default["services"]["bitpoll"]["serviceConfig"]
    assert config["ExecStartPre"] == f"{PACKAGE}/bin/bitpoll migrate --noinput"
    assert config["ExecStart"] == f"{PACKAGE}/bin/bitpoll serve --no-migrate"
    assert config["TimeoutStartSec"] == "15min"


def test_the_service_restarts_on_failure_within_a_start_limit(default: dict[str, Any]) -> None:
    service = default["services"]["bitpoll"]
    assert service["serviceConfig"]["Restart"] == "on-failure"
    assert service["unitConfig"]["StartLimitBurst"] == 5
    assert service["unitConfig"]["StartLimitIntervalSec"] == 300


def test_the_service_reloads_with_sighup(default: dict[str, Any]) -> None:
    reload = default["services"]["bitpoll"]["serviceConfig"]["ExecReload"]
    assert reload.endswith("/bin/kill -HUP $MAINPID")


def test_the_state_directory_is_private(default: dict[str, Any]) -> None:
    config = default["services"]["bitpoll"]["serviceConfig"]
    assert config["StateDirectory"] == "bitpoll"
    assert config["StateDirectoryMode"] == "0700"
    assert config["UMask"] == "0077"
    assert config["WorkingDirectory"] == "/var/lib/bitpoll"


def test_it_runs_as_a_dedicated_system_user(default: dict[str, Any]) -> None:
    config = default["services"]["bitpoll"]["serviceConfig"]
    assert (config["User"], config["Group"]) == ("bitpoll", "bitpoll")
    user = default["users"]["bitpoll"]
    assert user["isSystemUser"] is True
    assert user["group"] == "bitpoll"
    assert default["groups"] == ["bitpoll"]


def test_it_applies_every_hardening_directive(
    default: dict[str, Any], hardening: dict[str, Any]
) -> None:
    config = default["services"]["bitpoll"]["serviceConfig"]
    for key, value in hardening.items():
        if key != "NoExecPaths":
            assert config.get(key) == value, key
    # The data directory is a mount of its own that NoExecPaths=/ does not reach (seen under
    # a real systemd in tests/system), so the unit names it too.
    assert config["NoExecPaths"] == [*hardening["NoExecPaths"], "/var/lib/bitpoll"]


def test_it_allows_only_loopback_when_nothing_remote_is_configured(
    default: dict[str, Any],
) -> None:
    config = default["services"]["bitpoll"]["serviceConfig"]
    assert config["IPAddressDeny"] == "any"
    assert config["IPAddressAllow"] == "localhost"


def test_the_environment_configures_the_app(default: dict[str, Any]) -> None:
    assert default["services"]["bitpoll"]["environment"] == {
        "BITPOLL_DATA_DIR": "/var/lib/bitpoll",
        "BITPOLL_ALLOWED_HOSTS": "localhost,127.0.0.1,[::1]",
        "BITPOLL_BASE_URL": "http://localhost:8000",
        "BITPOLL_BIND": "127.0.0.1:8000",
        "BITPOLL_WORKERS": "2",
        "BITPOLL_DATABASE_URL": "sqlite:////var/lib/bitpoll/bitpoll.sqlite3",
        "BITPOLL_BEHIND_PROXY": "false",
    }


def test_the_secret_key_is_left_to_the_app_to_generate(default: dict[str, Any]) -> None:
    service = default["services"]["bitpoll"]
    assert service["serviceConfig"]["LoadCredential"] == []
    assert not any("SECRET" in name for name in service["environment"])


def test_it_adds_no_timer_nginx_postgresql_or_firewall_rule(default: dict[str, Any]) -> None:
    assert default["timers"] == {}
    assert default["nginx"]["enable"] is False
    assert default["postgresql"]["enable"] is False
    assert default["firewallTCPPorts"] == []


def test_bitpoll_manage_runs_as_the_service_user_with_its_environment(
    default: dict[str, Any],
) -> None:
    (manage,) = default["systemPackages"]
    assert manage["name"] == "bitpoll-manage"
    script = manage["text"]
    _check_shell(script)
    assert "systemd-run" in script
    assert "'--uid=bitpoll'" in script and "'--gid=bitpoll'" in script
    assert "'--property=StateDirectory=bitpoll'" in script
    for name, value in default["services"]["bitpoll"]["environment"].items():
        assert f"'--setenv={name}={value}'" in script
    assert script.rstrip().endswith(f'-- {PACKAGE}/bin/bitpoll "$@"')


def test_the_generated_service_scores_at_most_the_target(
    default: dict[str, Any], exposure_of: Callable[..., Any]
) -> None:
    exposure = exposure_of(default["unitFiles"]["bitpoll.service"])
    assert exposure.warnings == []
    assert exposure.score <= MODULE_TARGET, exposure.output


# Custom settings.


def test_a_custom_port_address_and_hosts_reach_socket_environment_and_firewall(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.port = 8123;
        services.bitpoll.listenAddress = "::";
        services.bitpoll.allowedHosts = [ "polls.example.org" ];
        services.bitpoll.openFirewall = true;
        """
    )
    assert result["failedAssertions"] == [] and result["warnings"] == []
    assert result["sockets"]["bitpoll"]["listenStreams"] == ["[::]:8123"]
    env = result["services"]["bitpoll"]["environment"]
    assert env["BITPOLL_ALLOWED_HOSTS"] == "polls.example.org"
    assert env["BITPOLL_BIND"] == "[::]:8123"
    assert env["BITPOLL_BASE_URL"] == "http://localhost:8123"
    assert result["firewallTCPPorts"] == [8123]


def test_the_secret_key_file_becomes_a_credential_and_is_never_read(
    evaluate: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    secret = tmp_path / "secret_key"
    canary = "canary-secret-value-that-must-not-leak"
    secret.write_text(canary)
    result = evaluate(f'services.bitpoll.secretKeyFile = "{secret}";')
    assert result["failedAssertions"] == []
    service = result["services"]["bitpoll"]
    assert service["serviceConfig"]["LoadCredential"] == [f"secret_key:{secret}"]
    assert not any("SECRET" in name for name in service["environment"])
    assert canary not in json.dumps(result)
    manage = result["systemPackages"][0]["text"]
    assert f"'--property=LoadCredential=secret_key:{secret}'" in manage


def test_a_secret_key_file_that_does_not_exist_yet_still_evaluates(
    evaluate: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    # agenix and sops-nix create the file at activation, after evaluation.
    missing = tmp_path / "created-at-activation"
    result = evaluate(f'services.bitpoll.secretKeyFile = "{missing}";')
    assert result["services"]["bitpoll"]["serviceConfig"]["LoadCredential"] == [
        f"secret_key:{missing}"
    ]


def test_postgresql_create_locally_uses_the_socket_and_peer_authentication(
    evaluate: Callable[..., dict[str, Any]], exposure_of: Callable[..., Any]
) -> None:
    result = evaluate(
        """
        services.bitpoll.database.type = "postgresql";
        services.bitpoll.database.createLocally = true;
        """
    )
    assert result["failedAssertions"] == []
    postgresql = result["postgresql"]
    assert postgresql["enable"] is True
    assert postgresql["ensureDatabases"] == ["bitpoll"]
    assert postgresql["ensureUsers"] == [{"name": "bitpoll", "ensureDBOwnership": True}]
    service = result["services"]["bitpoll"]
    assert service["environment"]["BITPOLL_DATABASE_URL"] == (
        "postgresql:///bitpoll?host=/run/postgresql"
    )
    assert "postgresql.service" in service["requires"]
    assert {"postgresql.service", "postgresql.target"} <= set(service["after"])
    assert "database_password" not in " ".join(service["serviceConfig"]["LoadCredential"])
    # The socket is local, so the loopback-only rules stay.
    assert service["serviceConfig"]["IPAddressDeny"] == "any"
    assert exposure_of(result["unitFiles"]["bitpoll.service"]).score <= MODULE_TARGET


def test_a_remote_postgresql_gets_a_password_credential_and_network_access(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.database.type = "postgresql";
        services.bitpoll.database.host = "db.example.org";
        services.bitpoll.database.passwordFile = "/run/agenix/bitpoll-db";
        """
    )
    assert result["failedAssertions"] == []
    service = result["services"]["bitpoll"]
    assert service["environment"]["BITPOLL_DATABASE_URL"] == (
        "postgresql://bitpoll@db.example.org:5432/bitpoll"
    )
    config = service["serviceConfig"]
    assert config["LoadCredential"] == ["database_password:/run/agenix/bitpoll-db"]
    assert "IPAddressDeny" not in config
    assert result["postgresql"]["enable"] is False
    assert "postgresql.service" not in service["requires"]


def test_a_remote_postgresql_over_tls_verifies_the_certificate_with_a_ca_credential(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.database = { type = "postgresql"; host = "db.example.org";
          tls = { enable = true; caFile = "/etc/ssl/db-ca.pem"; }; };
        services.bitpoll.snapshots.keep = 5;
        """
    )
    assert result["failedAssertions"] == []
    service = result["services"]["bitpoll"]
    environment = service["environment"]
    assert environment["BITPOLL_DATABASE_URL"] == (
        "postgresql://bitpoll@db.example.org:5432/bitpoll?sslmode=verify-full"
    )
    assert environment["BITPOLL_SNAPSHOT_KEEP"] == "5"
    assert "BITPOLL_ALLOW_NEWER_SCHEMA" not in environment
    assert service["serviceConfig"]["LoadCredential"] == ["database_ca:/etc/ssl/db-ca.pem"]


def test_nginx_proxies_to_the_app_and_serves_static_files_from_the_store(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.nginx.enable = true;
        services.bitpoll.nginx.hostName = "polls.example.org";
        services.bitpoll.openFirewall = true;
        """
    )
    assert result["failedAssertions"] == []
    nginx = result["nginx"]
    assert nginx["enable"] is True
    locations = nginx["virtualHosts"]["polls.example.org"]["locations"]
    assert locations["/"]["proxyPass"] == "http://127.0.0.1:8000"
    assert locations["/"]["recommendedProxySettings"] is True
    static = locations["/static/"]
    assert static["root"] == f"{PACKAGE}/share/bitpoll"
    assert "immutable" in static["extraConfig"]
    for header in ("X-Content-Type-Options", "Referrer-Policy", "Content-Security-Policy"):
        assert header in static["extraConfig"]
    env = result["services"]["bitpoll"]["environment"]
    assert env["BITPOLL_BEHIND_PROXY"] == "true"
    assert env["BITPOLL_ALLOWED_HOSTS"].split(",")[0] == "polls.example.org"
    assert env["BITPOLL_BASE_URL"] == "http://polls.example.org"
    assert result["firewallTCPPorts"] == [80, 443]


def test_nginx_with_tls_makes_the_base_url_https(evaluate: Callable[..., dict[str, Any]]) -> None:
    # TLS is added the usual NixOS way, by merging into the virtual host.
    result = evaluate(
        """
        services.bitpoll.nginx.enable = true;
        services.bitpoll.nginx.hostName = "polls.example.org";
        services.nginx.virtualHosts."polls.example.org" = { forceSSL = true; enableACME = true; };
        """
    )
    assert result["options"]["baseUrl"] == "https://polls.example.org"


def test_backup_adds_a_hardened_service_and_a_timer(
    evaluate: Callable[..., dict[str, Any]], hardening: dict[str, Any]
) -> None:
    result = evaluate(
        """
        services.bitpoll.backup.enable = true;
        services.bitpoll.secretKeyFile = "/run/agenix/bitpoll-secret";
        """
    )
    assert result["failedAssertions"] == []
    backup = result["services"]["bitpoll-backup"]
    config = backup["serviceConfig"]
    assert config["Type"] == "oneshot"
    assert config["ExecStart"] == f"{PACKAGE}/bin/bitpoll backup --keep 14"
    assert config["LoadCredential"] == ["secret_key:/run/agenix/bitpoll-secret"]
    assert backup["environment"] == result["services"]["bitpoll"]["environment"]
    for key, value in hardening.items():
        if key != "NoExecPaths":
            assert config.get(key) == value, key
    assert config["NoExecPaths"] == [*hardening["NoExecPaths"], "/var/lib/bitpoll"]
    timer = result["timers"]["bitpoll-backup"]
    assert timer["wantedBy"] == ["timers.target"]
    assert timer["timerConfig"]["OnCalendar"] == "daily"
    assert timer["timerConfig"]["Persistent"] is True


def test_a_backup_directory_outside_the_data_dir_is_created_and_writable(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.backup.enable = true;
        services.bitpoll.backup.directory = "/var/backup/bitpoll";
        services.bitpoll.backup.keep = 3;
        """
    )
    config = result["services"]["bitpoll-backup"]["serviceConfig"]
    assert config["ExecStart"].endswith("backup --keep 3 --output /var/backup/bitpoll")
    assert config["ReadWritePaths"] == ["/var/backup/bitpoll"]
    assert "d /var/backup/bitpoll 0700 bitpoll bitpoll - -" in result["tmpfiles"]


def test_a_data_dir_outside_var_lib_is_created_by_tmpfiles(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate('services.bitpoll.dataDir = "/srv/bitpoll";')
    config = result["services"]["bitpoll"]["serviceConfig"]
    assert "StateDirectory" not in config
    assert config["ReadWritePaths"] == ["/srv/bitpoll"]
    assert "d /srv/bitpoll 0700 bitpoll bitpoll - -" in result["tmpfiles"]
    assert result["services"]["bitpoll"]["environment"]["BITPOLL_DATABASE_URL"] == (
        "sqlite:////srv/bitpoll/bitpoll.sqlite3"
    )


def test_smtp_settings_become_an_email_url_and_a_credential(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.email = {
          host = "smtp.example.org";
          user = "polls@example.org";
          passwordFile = "/run/agenix/bitpoll-smtp";
          from = "Bitpoll <polls@example.org>";
        };
        """
    )
    service = result["services"]["bitpoll"]
    env = service["environment"]
    assert env["BITPOLL_EMAIL_URL"] == "smtp+starttls://polls@example.org@smtp.example.org:587"
    assert env["BITPOLL_EMAIL_FROM"] == "Bitpoll <polls@example.org>"
    assert service["serviceConfig"]["LoadCredential"] == ["email_password:/run/agenix/bitpoll-smtp"]
    assert "IPAddressDeny" not in service["serviceConfig"]


def test_freeform_settings_become_bitpoll_variables(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.settings = { LOG_FORMAT = "json"; BITPOLL_DEBUG = false; WORKERS = 4; };
        """
    )
    env = result["services"]["bitpoll"]["environment"]
    assert env["BITPOLL_LOG_FORMAT"] == "json"
    assert env["BITPOLL_DEBUG"] == "false"
    assert env["BITPOLL_WORKERS"] == "4"


def test_an_environment_file_is_loaded_and_lifts_the_loopback_rule(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    # The module cannot know what the file configures, so it cannot promise
    # that loopback is enough.
    result = evaluate('services.bitpoll.environmentFile = "/run/agenix/bitpoll.env";')
    config = result["services"]["bitpoll"]["serviceConfig"]
    assert config["EnvironmentFile"] == "/run/agenix/bitpoll.env"
    assert "IPAddressDeny" not in config


# Bad configurations: each fires an assertion that says what to change.

BAD_CONFIGS = {
    "empty allowedHosts": (
        "services.bitpoll.allowedHosts = [ ];",
        "allowedHosts is empty",
    ),
    "secret key in the store": (
        'services.bitpoll.secretKeyFile = "/nix/store/0000000000000000-secret";',
        "services.bitpoll.secretKeyFile",
    ),
    "database password in the store": (
        """
        services.bitpoll.database.type = "postgresql";
        services.bitpoll.database.host = "db.example.org";
        services.bitpoll.database.passwordFile = "/nix/store/0000000000000000-pw";
        """,
        "services.bitpoll.database.passwordFile",
    ),
    "SMTP password in the store": (
        """
        services.bitpoll.email = { host = "smtp.example.org"; user = "u";
          passwordFile = "/nix/store/0000000000000000-pw"; };
        """,
        "services.bitpoll.email.passwordFile",
    ),
    "createLocally with a remote host": (
        """
        services.bitpoll.database = { type = "postgresql"; createLocally = true;
          host = "db.example.org"; };
        """,
        'database.host = "db.example.org" points elsewhere',
    ),
    "createLocally with SQLite": (
        "services.bitpoll.database.createLocally = true;",
        'database.type is "sqlite"',
    ),
    "createLocally with another role": (
        """
        services.bitpoll.database = { type = "postgresql"; createLocally = true;
          user = "someone"; name = "someone"; };
        """,
        "peer authentication",
    ),
    "createLocally with a password": (
        """
        services.bitpoll.database = { type = "postgresql"; createLocally = true;
          passwordFile = "/run/agenix/pw"; };
        """,
        "remove database.passwordFile",
    ),
    "database TLS without a CA": (
        """
        services.bitpoll.database = { type = "postgresql"; host = "db.example.org";
          tls.enable = true; };
        """,
        "set database.tls.caFile",
    ),
    "database TLS over the unix socket": (
        """
        services.bitpoll.database = { type = "postgresql"; tls.enable = true;
          tls.caFile = "/etc/ssl/db-ca.pem"; };
        """,
        "a unix socket has no TLS",
    ),
    "nginx without a host name": (
        "services.bitpoll.nginx.enable = true;",
        'nginx.hostName = "polls.example.org"',
    ),
    "a secret in settings": (
        'services.bitpoll.settings.SECRET_KEY = "hunter2";',
        "BITPOLL_SECRET_KEY, which would be",
    ),
    "an SMTP login that does not fit in a URL": (
        'services.bitpoll.email = { host = "smtp.example.org"; user = "dom/ain"; };',
        "contains one of : / ? # %",
    ),
    "SMTP password without a user": (
        """
        services.bitpoll.email = { host = "smtp.example.org";
          passwordFile = "/run/agenix/smtp"; };
        """,
        "email.user",
    ),
}


@pytest.mark.parametrize(("configuration", "expected"), BAD_CONFIGS.values(), ids=BAD_CONFIGS)
def test_a_bad_configuration_fires_an_assertion_that_says_what_to_change(
    evaluate: Callable[..., dict[str, Any]], configuration: str, expected: str
) -> None:
    failed = evaluate(configuration, part="checks")["failedAssertions"]
    assert len(failed) == 1, failed
    assert expected in " ".join(failed[0].split())
    assert "services.bitpoll." in failed[0]


def test_opening_the_firewall_for_a_loopback_listener_warns(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    checks = evaluate("services.bitpoll.openFirewall = true;", part="checks")
    assert checks["failedAssertions"] == []
    (warning,) = checks["warnings"]
    assert "listenAddress" in warning


def test_the_module_does_nothing_when_disabled(nix_instantiate: str, nixpkgs_lib: Path) -> None:
    # Without a package, too: nixpkgs has none, and a disabled module must
    # not need one.
    expr = (
        f"import {NIX_DIR / 'tests' / 'eval'} {{ lib = import {nixpkgs_lib};"
        " configuration = { }; withPackage = false; }"
    )
    result = nix_eval_json(nix_instantiate, expr)
    assert result["services"] == {} and result["sockets"] == {}
    assert result["users"] == {} and result["systemPackages"] == []


def test_rendered_lists_keep_one_line_per_value() -> None:
    # The renderer used for scoring must match NixOS, or the scores would lie.
    assert as_lines(["AF_UNIX", "AF_INET"]) == ["AF_UNIX", "AF_INET"]
    assert render_section("Service", {"A": [True, "x"], "B": None}) == "[Service]\nA=true\nA=x\n"


def test_database_settings_that_sqlite_ignores_warn(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    checks = evaluate('services.bitpoll.database.host = "db.example.org";', part="checks")
    assert checks["failedAssertions"] == []
    (warning,) = checks["warnings"]
    assert 'database.type = "sqlite"' in warning


# The package: nixpkgs has no bitpoll (issue 10).


def test_without_a_package_the_error_says_how_to_get_one(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    with pytest.raises(NixEvalError) as failure:
        evaluate(with_package=False)
    message = " ".join(str(failure.value).split())
    assert "services.bitpoll.package is not set" in message
    assert "nixosModules.default" in message
    assert "overlays.default" in message


def test_a_package_set_by_the_user_is_used(evaluate: Callable[..., dict[str, Any]]) -> None:
    other = "/nix/store/11111111111111111111111111111111-bitpoll-0.2.0"
    result = evaluate(
        f"""
        services.bitpoll.package = {{ type = "derivation"; name = "bitpoll-0.2.0";
          outPath = "{other}"; }};
        """,
        with_package=False,
    )
    config = result["services"]["bitpoll"]["serviceConfig"]
    assert config["ExecStart"] == f"{other}/bin/bitpoll serve --no-migrate"
    assert result["nginx"]["enable"] is False


# Values systemd would misread (issue 10).


def test_a_percent_sign_in_settings_reaches_the_app_unchanged(
    evaluate: Callable[..., dict[str, Any]], exposure_of: Callable[..., Any]
) -> None:
    # %h and %2F would be systemd specifiers in Environment=; NixOS writes
    # values verbatim, so the module doubles them.
    result = evaluate('services.bitpoll.settings.EMAIL_FROM = "50%h off <a%2Fb@example.org>";')
    service = result["services"]["bitpoll"]
    assert service["environment"]["BITPOLL_EMAIL_FROM"] == "50%%h off <a%%2Fb@example.org>"
    exposure = exposure_of(result["unitFiles"]["bitpoll.service"])
    assert not [line for line in exposure.warnings if "specifier" in line]
    # systemd-run --setenv goes over D-Bus, where nothing is expanded.
    manage = result["systemPackages"][0]["text"]
    assert "'--setenv=BITPOLL_EMAIL_FROM=50%h off <a%2Fb@example.org>'" in manage


def test_an_unusual_backup_directory_stays_one_argument(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.backup.enable = true;
        services.bitpoll.backup.directory = "/srv/backups 100%";
        """
    )
    exec_start = result["services"]["bitpoll-backup"]["serviceConfig"]["ExecStart"]
    assert exec_start.endswith('--output "/srv/backups 100%%"')


def test_bitpoll_manage_uses_the_systems_systemd(evaluate: Callable[..., dict[str, Any]]) -> None:
    custom = "/nix/store/22222222222222222222222222222222-systemd-custom"
    result = evaluate(
        f'systemd.package = {{ type = "derivation"; name = "systemd"; outPath = "{custom}"; }};'
    )
    manage = result["systemPackages"][0]["text"]
    assert f"exec {custom}/bin/systemd-run " in manage


# Request bodies (issue 10, issue 11).


def test_nginx_caps_request_bodies_like_the_app(evaluate: Callable[..., dict[str, Any]]) -> None:
    result = evaluate(
        """
        services.bitpoll.nginx.enable = true;
        services.bitpoll.nginx.hostName = "polls.example.org";
        """
    )
    vhost = result["nginx"]["virtualHosts"]["polls.example.org"]
    # 1 MiB, the app's default cap; nginx's own default would be 10m.
    assert "client_max_body_size 1048576;" in vhost["extraConfig"]
    assert "BITPOLL_MAX_BODY_SIZE" not in result["services"]["bitpoll"]["environment"]


def test_a_larger_body_cap_reaches_nginx_and_the_app(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    result = evaluate(
        """
        services.bitpoll.maxBodySize = 4194304;
        services.bitpoll.nginx.enable = true;
        services.bitpoll.nginx.hostName = "polls.example.org";
        """
    )
    vhost = result["nginx"]["virtualHosts"]["polls.example.org"]
    assert "client_max_body_size 4194304;" in vhost["extraConfig"]
    env = result["services"]["bitpoll"]["environment"]
    assert env["BITPOLL_MAX_BODY_SIZE"] == "4194304"


# Documentation (STYLE.md: every option has a description and an example,
# and docs/nixos.md lists it).


def test_every_option_is_described_and_listed_in_the_docs(default: dict[str, Any]) -> None:
    docs = (NIX_DIR.parent / "docs" / "nixos.md").read_text()
    declared = default["declared"]
    assert len(declared) > 30
    for option in declared:
        assert option["hasDescription"], option["name"]
        if option["name"] != "enable":
            assert option["hasExample"], option["name"]
        assert f"| `{option['name']}` |" in docs, f"{option['name']} missing in docs/nixos.md"


# The unit files as NixOS writes them (nix/tests/eval/render.nix), which
# tests/system installs in its VM.


def test_the_unit_files_carry_the_switch_flags_and_the_socket(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    files = evaluate("services.bitpoll.backup.enable = true;")["unitFiles"]
    assert set(files) == {
        "bitpoll.service",
        "bitpoll.socket",
        "bitpoll-backup.service",
        "bitpoll-backup.timer",
    }
    service = parse_unit(files["bitpoll.service"])
    assert service["Service"]["X-StopIfChanged"] == ["false"]
    assert "X-RestartIfChanged" not in service["Service"]
    assert service["Unit"]["Requires"] == ["bitpoll.socket"]
    assert service["Service"]["Type"] == ["notify"]
    assert '"BITPOLL_BIND=127.0.0.1:8000"' in service["Service"]["Environment"]
    backup = parse_unit(files["bitpoll-backup.service"])
    assert backup["Service"]["X-RestartIfChanged"] == ["false"]
    socket = parse_unit(files["bitpoll.socket"])
    assert socket["Socket"]["ListenStream"] == ["127.0.0.1:8000"]
    assert socket["Socket"]["Backlog"] == ["1024"]
    timer = parse_unit(files["bitpoll-backup.timer"])
    assert timer["Timer"]["OnCalendar"] == ["daily"]


# Accounts (docs/accounts.md).


def test_accounts_are_off_unless_enabled(default: dict[str, Any]) -> None:
    env = default["services"]["bitpoll"]["environment"]
    assert "BITPOLL_ACCOUNTS_ENABLED" not in env
    assert "BITPOLL_ACCOUNTS_REGISTRATION" not in env


def test_accounts_options_reach_the_app(evaluate: Callable[..., dict[str, Any]]) -> None:
    result = evaluate(
        """
        services.bitpoll.accounts.enable = true;
        services.bitpoll.accounts.registration = "closed";
        """
    )
    env = result["services"]["bitpoll"]["environment"]
    assert env["BITPOLL_ACCOUNTS_ENABLED"] == "true"
    assert env["BITPOLL_ACCOUNTS_REGISTRATION"] == "closed"


# --- PostgreSQL prepared statements (BITPOLL_DATABASE_PREPARED_STATEMENTS)
def test_prepared_statements_are_on_unless_turned_off_for_a_pooler(
    evaluate: Callable[..., dict[str, Any]],
) -> None:
    on = evaluate('services.bitpoll.database = { type = "postgresql"; host = "db.example.org"; };')
    assert on["failedAssertions"] == []
    assert "BITPOLL_DATABASE_PREPARED_STATEMENTS" not in on["services"]["bitpoll"]["environment"]
    off = evaluate(
        """
        services.bitpoll.database = { type = "postgresql"; host = "pgbouncer.example.org";
          preparedStatements = false; };
        """
    )
    assert off["failedAssertions"] == []
    environment = off["services"]["bitpoll"]["environment"]
    assert environment["BITPOLL_DATABASE_PREPARED_STATEMENTS"] == "false"
