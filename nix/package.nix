{
  lib,
  python3Packages,
  # The NixOS VM tests, passed in by flake.nix so that `passthru.tests`
  # builds them; empty where NixOS tests cannot run.
  vmTests ? { },
}:

let
  pyproject = lib.importTOML ../pyproject.toml;

  # Everything comes from nixpkgs' Python set (DESIGN.md: no vendored wheels).
  # tests/nix/test_nix_package.py checks these against pyproject.toml.
  core = with python3Packages; [
    django_5
    gunicorn
    whitenoise
    markdown-it-py
    nh3
    tzdata
    joserfc
  ];
  postgres = [ python3Packages.psycopg ];
  ldap = [ python3Packages.django-auth-ldap ];
  # buildPythonApplication propagates `dependencies` only: the extra goes in
  # too, or the wrapped `bitpoll` could not load a PostgreSQL driver.
  dependencies = core ++ postgres ++ ldap;
  testDependencies = with python3Packages; [
    pytest
    pytest-django
    hypothesis
    aiosmtpd
    # Browser tests skip themselves without a chromium binary, as in the
    # build sandbox, but their module still imports playwright.
    playwright
  ];
in
python3Packages.buildPythonApplication {
  pname = "bitpoll";
  inherit (pyproject.project) version;
  pyproject = true;

  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../pyproject.toml
      ../src
      ../tests
      (lib.fileset.maybeMissing ../README.md)
      (lib.fileset.maybeMissing ../LICENSE)
    ];
  };

  build-system = [ python3Packages.setuptools ];

  inherit dependencies;
  optional-dependencies.postgres = postgres;
  optional-dependencies.ldap = ldap;

  # Static files are collected once, here, into the read-only package; the
  # wrapper points the app at them. --set-default lets a user override it.
  makeWrapperArgs = [
    "--set-default"
    "BITPOLL_STATIC_ROOT"
    "${placeholder "out"}/share/bitpoll/static"
  ];

  # After wrapPythonPrograms (mk-python-derivation runs it first in
  # postFixup), so the wrapped command finds its dependencies. The secret is
  # a throwaway: collectstatic signs nothing, but settings require a key.
  postFixup = ''
    export BITPOLL_STATIC_ROOT=$out/share/bitpoll/static
    export BITPOLL_SECRET_KEY=build-time-only-not-a-secret
    export BITPOLL_DATA_DIR=$TMPDIR/bitpoll-build-data
    mkdir -p "$BITPOLL_DATA_DIR"
    $out/bin/bitpoll collectstatic --noinput
    test -n "$(ls -A "$BITPOLL_STATIC_ROOT")"
  '';

  nativeCheckInputs = [ python3Packages.pytestCheckHook ] ++ testDependencies;

  # The check phase starts servers on 127.0.0.1, which the macOS sandbox
  # forbids unless asked.
  __darwinAllowLocalNetworking = true;

  # The test suite runs against the installed package. Browser and
  # PostgreSQL tests skip themselves in the sandbox (no chromium, no server);
  # the checks of the Nix files need nix-instantiate and run in CI instead.
  disabledTestPaths = [ "tests/nix" ];

  pythonImportsCheck = [ "bitpoll" ];

  passthru = {
    tests = vmTests;
    # For the development shell: one list, so it cannot drift from the package.
    pythonDevPackages = dependencies ++ testDependencies;
  };

  meta = {
    description = pyproject.project.description;
    longDescription = ''
      Bitpoll schedules meetings and runs polls: dates, dates with times or
      free-text options, answered on a yes / if need be / no scale (or a
      custom one). It runs as a single `bitpoll` command: gunicorn and
      WhiteNoise embedded, SQLite or PostgreSQL, migrations on start.
    '';
    license = lib.licenses.mit;
    mainProgram = "bitpoll";
    platforms = lib.platforms.unix;
    maintainers = [ ];
  };
}
