
# moodle_events (Makefile.frag, added by config.m4): cargo builds the extension against
# the PHP of this configure's php-config, into modules/ like a C extension; make install
# copies modules/ into that PHP's extension_dir. cargo decides what to rebuild.
MOODLE_EVENTS_SO = modules/moodle_events.so

all: $(MOODLE_EVENTS_SO)
install-modules: $(MOODLE_EVENTS_SO)

.PHONY: $(MOODLE_EVENTS_SO) moodle-events-clean
$(MOODLE_EVENTS_SO):
	cd $(srcdir) && PHP_CONFIG="$(MOODLE_EVENTS_PHP_CONFIG)" PHP="$(PHP_EXECUTABLE)" \
		CARGO_TARGET_DIR="$(builddir)/target/phpize" $(CARGO) build --release --locked
	@mkdir -p modules
	cp "$(builddir)/target/phpize/release/libmoodle_events.so" $@

clean: moodle-events-clean
moodle-events-clean:
	rm -rf "$(builddir)/target/phpize"
