# dsnap: build, test, demo and install. `make demo` and `make test` work on a fresh Debian machine
# with Swift installed: the deps step installs libgit2-dev through apt-get when pkg-config lacks it.
PREFIX ?= /usr/local
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN_RELEASE := .build/release/dsnap

.PHONY: all deps build release demo test golden torture fuzz install uninstall lint-man bench-quick clean

all: build

deps:
	@if ! pkg-config --exists libgit2 2>/dev/null; then \
		echo "==> installing libgit2-dev and pkg-config through apt-get"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgit2-dev pkg-config; \
	fi
	@command -v git >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

demo: release
	@scripts/demo.sh $(BIN_RELEASE)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --disable-swift-testing

# Rewrites Tests/golden/*.txt from what the binary prints now; review the diff before committing.
golden: deps
	DSNAP_GOLDEN_UPDATE=1 $(SWIFT) test --disable-swift-testing --filter GoldenTests

# The long fault-injection suite (not in CI: an hour or more): 50 kills per operation on a dataset
# of 3,000 files, every N of every injected system call failure, a full disk, 8 concurrent processes.
# SEED=N repeats a run; ONLY=KIND[:OPERATION] narrows it (see Tests/fault/fault_suite.py --help).
torture: release
	python3 Tests/fault/fault_suite.py --torture --bin $(BIN_RELEASE) $(if $(SEED),--seed $(SEED)) $(if $(ONLY),--only $(ONLY))

# Each libFuzzer target for FUZZ_SECONDS, one after another (see README, Fuzzing); stops at a crash.
FUZZ_SECONDS ?= 60
fuzz: deps
	@for target in arguments json loose-object pack received-pack http; do scripts/fuzz $$target $(FUZZ_SECONDS) || exit 1; done

# Proves the benchmark script works (tiny sizes, no timing assertions); `bench/run` is the real one.
bench-quick: release
	bench/run --quick
	bench/serve --quick --dsnap $(BIN_RELEASE)

# Shell completions go where each shell's own package looks; the scripts are written by the binary
# being installed, so they offer exactly its commands and options.
BASH_COMPLETION := $(PREFIX)/share/bash-completion/completions/dsnap
ZSH_COMPLETION := $(PREFIX)/share/zsh/site-functions/_dsnap
FISH_COMPLETION := $(PREFIX)/share/fish/vendor_completions.d/dsnap.fish

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN_RELEASE) $(DESTDIR)$(PREFIX)/bin/dsnap
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(dir $(DESTDIR)$(BASH_COMPLETION)) $(dir $(DESTDIR)$(ZSH_COMPLETION)) $(dir $(DESTDIR)$(FISH_COMPLETION))
	$(BIN_RELEASE) completion bash > $(DESTDIR)$(BASH_COMPLETION)
	$(BIN_RELEASE) completion zsh > $(DESTDIR)$(ZSH_COMPLETION)
	$(BIN_RELEASE) completion fish > $(DESTDIR)$(FISH_COMPLETION)
	chmod 644 $(DESTDIR)$(BASH_COMPLETION) $(DESTDIR)$(ZSH_COMPLETION) $(DESTDIR)$(FISH_COMPLETION)

# A Debian package, dsnap_VERSION_ARCH.deb, for machines with no Swift: the Swift runtime linked
# in, depending only on Debian's packages (libgit2, ...). See scripts/build-deb.
.PHONY: deb
deb: deps
	SWIFT=$(SWIFT) scripts/build-deb

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/dsnap
	cd man && for page in *.1; do rm -f $(DESTDIR)$(PREFIX)/share/man/man1/$$page; done
	rm -f $(DESTDIR)$(BASH_COMPLETION) $(DESTDIR)$(ZSH_COMPLETION) $(DESTDIR)$(FISH_COMPLETION)

# Lints every man page: mandoc when present, else groff's warnings (groff-base is on Debian by default).
lint-man:
	@status=0; for page in man/*.1; do \
		if command -v mandoc >/dev/null; then out=$$(mandoc -Tlint -W warning "$$page" 2>&1); \
		else out=$$(groff -man -ww -z "$$page" 2>&1); fi; \
		if [ -n "$$out" ]; then echo "$$out"; status=1; fi; \
	done; [ $$status = 0 ] && echo "man pages: lint clean"; exit $$status

clean:
	rm -rf .build .build-deb
