# coffer: build with `make` (release), `make MODE=debug`, `make MODE=san`
# (AddressSanitizer + UBSan).  `make test` builds and runs every test;
# `make test-san` does the same under the sanitizers.  CC=clang works too.

MODE	?= release
CC	?= cc
BUILD	:= build/$(MODE)$(BUILD_SUFFIX)

PKGS	:= libsodium libzstd jansson libcrypto libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SRV_PKGS   := libmicrohttpd sqlite3
SRV_CFLAGS := $(shell pkg-config --cflags $(SRV_PKGS) 2>/dev/null)
SRV_LIBS   := $(shell pkg-config --libs $(SRV_PKGS) 2>/dev/null)
# libfuse3: for `coffer mount` (cli/) only.
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell pkg-config --libs fuse3 2>/dev/null)

WARN	:= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter
BASE	:= -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -pthread $(WARN) \
	   -Ilib -Iserver $(PKG_CFLAGS) $(SRV_CFLAGS)

ifeq ($(MODE),release)
OPT	:= -O2 -g
else ifeq ($(MODE),debug)
OPT	:= -O0 -g
else ifeq ($(MODE),san)
OPT	:= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	   -fno-sanitize-recover=undefined
else
$(error MODE must be release, debug or san)
endif

CFLAGS	+= $(BASE) $(OPT)
LDFLAGS	+= $(OPT)
LDLIBS	:= $(PKG_LIBS) -lpthread

LIB_SRCS  := $(sort $(wildcard lib/*/*.c))
SRV_MAIN  := server/cofferd.c
SRV_SRCS  := $(filter-out $(SRV_MAIN),$(sort $(wildcard server/*.c)))
CLI_SRCS  := $(sort $(wildcard cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
SRV_OBJS  := $(SRV_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
TESTS     := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOLS     := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)
FUZZ_REPLAY := $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/fuzz/%-replay)
BENCHES   := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

SERVER    := $(if $(wildcard $(SRV_MAIN)),$(BUILD)/cofferd,)
# A cofferd with the recovery realm's fault injection compiled in
# (-DCOFFERD_FAULTS: COFFERD_FAULT=crash-after-charge|tamper-evaluation),
# for the test scenarios only; the real cofferd has none of it.
FAULTY    := $(if $(SERVER),$(BUILD)/tools/cofferd-faults,)

all: $(BUILD)/coffer $(SERVER) $(FAULTY) $(TESTS) $(TOOLS) $(FUZZ_REPLAY) \
    $(BENCHES)

# The server's code (all of server/ but its main) as a library, so unit
# tests can link it.
$(BUILD)/libcofferd.a: $(SRV_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/cofferd: $(BUILD)/server/cofferd.o $(BUILD)/libcofferd.a \
    $(BUILD)/libcoffer.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(SRV_LIBS) $(LDLIBS)

$(BUILD)/tools/cofferd-faults: $(BUILD)/server/cofferd.o \
    $(BUILD)/faults/srv_realm.o \
    $(filter-out $(BUILD)/server/srv_realm.o,$(SRV_OBJS)) $(BUILD)/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(SRV_LIBS) $(LDLIBS)

$(BUILD)/faults/%.o: server/%.c
	@mkdir -p $(@D)
	@echo "  CC      $< (faults)"
	@$(CC) $(CFLAGS) -DCOFFERD_FAULTS -MMD -MP -c -o $@ $<

$(BUILD)/libcoffer.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/coffer: $(CLI_OBJS) $(BUILD)/libcoffer.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(FUSE_LIBS) $(LDLIBS)

$(CLI_OBJS): CFLAGS += $(FUSE_CFLAGS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libcofferd.a \
    $(BUILD)/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(SRV_LIBS) $(LDLIBS)

$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/libcofferd.a \
    $(BUILD)/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(SRV_LIBS) $(LDLIBS)

# Fuzz harnesses build two ways: a replayer (here, linked with
# fuzz/replay.c, runs saved inputs in CI) and libFuzzer (make fuzz).
$(BUILD)/fuzz/%-replay: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/replay.o \
    $(BUILD)/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libcoffer.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

fuzz: $(FUZZ_SRCS)
	@mkdir -p build/fuzz
	for f in $(FUZZ_SRCS); do \
	    n=$$(basename $$f .c); \
	    clang $(BASE) -O1 -g -fsanitize=fuzzer,address,undefined \
	        -o build/fuzz/$$n $$f $(LIB_SRCS) $(PKG_LIBS) -lpthread || exit 1; \
	done

test: all
	sh tests/run.sh $(BUILD)

test-san:
	$(MAKE) MODE=san all
	sh tests/run.sh build/san

clean:
	rm -rf build

.PHONY: all fuzz test test-san clean
.PRECIOUS: $(BUILD)/%.o

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
