dnl config.m4 of moodle_events, for the phpize route (PECL-style installs, setup-php's
dnl extensions from source, PIE):
dnl   phpize && ./configure --enable-moodle-events && make && make install
dnl The extension is written in Rust: Makefile.frag builds it with cargo against the PHP
dnl that this phpize and php-config belong to, and puts it in modules/ like a C extension,
dnl from where make install copies it into that PHP's extension_dir.

PHP_ARG_ENABLE([moodle-events],
  [whether to enable moodle_events],
  [AS_HELP_STRING([--enable-moodle-events], [Enable moodle_events (built with cargo)])],
  [no])

if test "$PHP_MOODLE_EVENTS" != "no"; then
  AC_PATH_PROG([CARGO], [cargo], [no], [$PATH$PATH_SEPARATOR$HOME/.cargo/bin])
  if test "$CARGO" = "no"; then
    AC_MSG_ERROR([cargo not found: moodle_events is written in Rust. Install Rust 1.85 or newer (rustup, or Debian's cargo and rustc) and libclang-dev, then run configure again.])
  fi
  AC_MSG_CHECKING([for libclang (bindgen reads the PHP headers with it)])
  if ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/*/libclang*.so* >/dev/null 2>&1 || test -n "$LIBCLANG_PATH"; then
    AC_MSG_RESULT([yes])
  else
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([libclang not found: install libclang-dev (or set LIBCLANG_PATH), then run configure again.])
  fi
  PHP_SUBST([CARGO])
  dnl cargo's build of ext-php-rs needs php-config as a path.
  case $PHP_CONFIG in
    */*) MOODLE_EVENTS_PHP_CONFIG=$PHP_CONFIG ;;
    *) AC_PATH_PROG([MOODLE_EVENTS_PHP_CONFIG], [$PHP_CONFIG], [$PHP_CONFIG]) ;;
  esac
  PHP_SUBST([MOODLE_EVENTS_PHP_CONFIG])
  PHP_ADD_BUILD_DIR([modules])
  PHP_ADD_MAKEFILE_FRAGMENT([$abs_srcdir/Makefile.frag], [$abs_srcdir], [$abs_builddir])
fi
