# Storefront build. `make run` and `make test` are the two commands a newcomer
# needs (see README.md); everything else is for developers.

CC      ?= cc
PKGS    := fcgi libmariadb hiredis jansson libsodium libcurl vips libmagic
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

# `make SAN=1 ...` builds everything with ASan/UBSan into build-san/.
ifeq ($(SAN),1)
BUILD   := build-san
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=address,undefined
BIN     := build-san/bin
else
BUILD   := build
BIN     := bin
endif

MAINS    := app/shopd.c app/shopctl.c
LIB_SRC  := $(filter-out $(MAINS),$(wildcard app/*.c app/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard t/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(BUILD)/t/unit/%)
HTTP_SRC := $(wildcard t/http/test_*.c)
HTTP_BIN := $(HTTP_SRC:t/http/%.c=$(BUILD)/t/http/%)
DOMAIN_SRC := $(wildcard t/domain/test_*.c)
DOMAIN_BIN := $(DOMAIN_SRC:t/domain/%.c=$(BUILD)/t/domain/%)
TOOLS    := $(BIN)/shopd $(BIN)/shopctl $(BUILD)/t/load/fcgi_static $(BUILD)/t/load/checkout_load $(if $(wildcard paygate/paygate.c),$(BIN)/paygate)

.PHONY: all deps run stop test unit http domain bench clean san
# Keep test objects: they are not intermediate files to throw away.
.SECONDARY:
all: $(TOOLS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libshop.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/shopd: $(BUILD)/app/shopd.o $(BUILD)/libshop.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/shopctl: $(BUILD)/app/shopctl.o $(BUILD)/libshop.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The sandbox payment gateway: a program of its own (HTTP server, SQLite
# file), not linked with libshop.a; the shop reaches it only over HTTP.
PG_PKGS  := libmicrohttpd sqlite3 jansson libsodium libcurl
PG_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(wildcard paygate/*.c))
$(PG_OBJ): CFLAGS += -pthread $(shell pkg-config --cflags $(PG_PKGS) 2>/dev/null)
$(BIN)/paygate: $(PG_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(shell pkg-config --libs $(PG_PKGS) 2>/dev/null)

$(BUILD)/t/load/fcgi_static: $(BUILD)/t/load/fcgi_static.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lfcgi

$(BUILD)/t/load/checkout_load: $(BUILD)/t/load/checkout_load.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LDLIBS)

$(BUILD)/t/unit/%: $(BUILD)/t/unit/%.o $(BUILD)/libshop.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs check)

$(BUILD)/t/http/%: $(BUILD)/t/http/%.o $(BUILD)/t/http/harness.o $(BUILD)/libshop.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs check libcurl)

# Domain suites (t/domain): the domain code against MariaDB alone.
$(BUILD)/t/domain/%: $(BUILD)/t/domain/%.o $(BUILD)/t/domain/fixture.o $(BUILD)/libshop.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs check)

# Installs missing Debian packages (apt-get; sudo when not root).
deps:
	@scripts/install-deps

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/stack start

stop:
	@scripts/stack stop

unit: $(UNIT_BIN)
	@scripts/run-tests unit $(UNIT_BIN)

http: all $(HTTP_BIN)
	@scripts/run-tests http $(HTTP_BIN)

# t/domain/run starts a MariaDB of its own (SHOP_ONLY=db scripts/stack).
domain: all $(DOMAIN_BIN)
	@t/domain/run $(DOMAIN_BIN)

# Every suite, then one summary line "N passed, N failed" (CI reads it).
test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(HTTP_BIN) $(DOMAIN_BIN) $(BUILD)/t/chaos/chaos $(BUILD)/t/chaos/flashsale
	@$(MAKE) --no-print-directory SAN=1 all $(UNIT_BIN:build/%=build-san/%)
	@scripts/run-tests all

# Every suite with the http suites' sanitizer pass in full (make test
# leaves out a few that mostly wait; scripts/run-tests says which).
.PHONY: test-san
test-san: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(HTTP_BIN) $(DOMAIN_BIN) $(BUILD)/t/chaos/chaos $(BUILD)/t/chaos/flashsale
	@$(MAKE) --no-print-directory SAN=1 all $(UNIT_BIN:build/%=build-san/%)
	@SAN_HTTP=full scripts/run-tests all

# The chaos suite (t/chaos): built like the http suites; `make test` runs
# its short form through t/chaos/run, `make chaos` the full one on a stack
# of its own.
$(BUILD)/t/chaos/chaos: $(BUILD)/t/chaos/chaos.o $(BUILD)/t/http/harness.o $(BUILD)/libshop.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LDLIBS) $(shell pkg-config --libs check libcurl)

.PHONY: chaos
chaos: deps
	@$(MAKE) --no-print-directory all $(BUILD)/t/chaos/chaos
	@CHAOS=$(or $(CHAOS),full) CHAOS_ONLY=chaos scripts/run-tests runner t/chaos/run

bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench $(SCENARIOS)

clean:
	rm -rf build build-san bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- fuzzing (t/fuzz/README.md) ---------------------------------------------
# libFuzzer targets, one per parser of what a person or another program sends.
# The shop's objects are rebuilt with clang into build-fuzz/ (coverage
# instrumentation, ASan, UBSan that aborts), never mixed with build/.
#
#   make fuzz-build                       the targets, build-fuzz/fuzz_*
#   make fuzz [FUZZ_MINUTES=2] [FUZZ_JOBS=2] [FUZZ_MERGE=1] [FUZZ_TARGETS="fuzz_cookies ..."]
#                                         fuzz each target; findings go to
#                                         build-fuzz/findings/ and fail the run;
#                                         FUZZ_MERGE=1 adds new coverage to
#                                         t/fuzz/corpus/<target>/
#   t/fuzz/run                            each target once over its corpus (make test)
FUZZ_CC      ?= clang
FUZZ_DIR     := build-fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g -std=c11 -D_GNU_SOURCE $(WARN) $(FUZZ_SAN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/%.o)
FUZZ_SRC     := $(wildcard t/fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:t/fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_MINUTES ?= 2
FUZZ_JOBS    ?= 2
FUZZ_MERGE   ?= 0
FUZZ_TARGETS ?=

.PHONY: fuzz fuzz-build fuzz-clean

$(FUZZ_DIR)/app/%.o: app/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/libshop.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: t/fuzz/fuzz_%.c t/fuzz/fuzz.h $(FUZZ_DIR)/libshop.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libshop.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@FUZZ_MINUTES=$(FUZZ_MINUTES) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_MERGE=$(FUZZ_MERGE) \
		t/fuzz/campaign $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_DIR)

-include $(shell find $(FUZZ_DIR) -name '*.d' 2>/dev/null)

# ---- security scan (docs/security.md) ----------------------------------------
# sqlmap over every parameterized route of the route table and wapiti, signed
# in as a buyer and a seller, against a private stack; nonzero on a finding.
#   make security                      quick (sqlmap level 1, risk 1)
#   make security SECURITY_LEVEL=full  sqlmap level 5, risk 3; hours
.PHONY: security
security: deps
	@$(MAKE) --no-print-directory all
	@SECURITY_LEVEL=$(or $(SECURITY_LEVEL),quick) scripts/security

# ---- flash sales (issue 18) --------------------------------------------------
# t/load/flashsale_load: the flash-sale buyers of `make bench SCENARIOS=flashsale`
# (scripts/bench). build/t/chaos/flashsale: the chaos test of a sale, its short
# form run by t/chaos/run in `make test`, the full one by `make chaos-flashsale`.
all: $(BUILD)/t/load/flashsale_load

$(BUILD)/t/load/flashsale_load: $(BUILD)/t/load/flashsale_load.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/t/chaos/flashsale: $(BUILD)/t/chaos/flashsale.o $(BUILD)/t/http/harness.o $(BUILD)/libshop.a
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(LDLIBS) $(shell pkg-config --libs check libcurl)

# The flash sale's chaos test in full (500 units, 1,000 buyers, 3 minutes of
# kills) on a stack of its own; `make test` runs its short form.
.PHONY: chaos-flashsale
chaos-flashsale: deps
	@$(MAKE) --no-print-directory all $(BUILD)/t/chaos/flashsale
	@CHAOS=$(or $(CHAOS),full) CHAOS_ONLY=flashsale scripts/run-tests runner t/chaos/run

# ---- several hosts (issue 20) ------------------------------------------------
# t/scale/run runs every t/scale/*.sh scenario (each starts its own servers
# on free ports in a temp dir): `make test` runs their short form through
# t/scale/run, `make test-scale` the full one.
.PHONY: test-scale
test-scale: deps
	@$(MAKE) --no-print-directory all
	@SCALE=$(or $(SCALE),full) t/scale/run
