# kiln build. Sources are found by wildcard so adding a module never means editing this file.
# BUILD lets parallel builds (tests, sanitizers, helpers) use separate trees.
SANITIZE ?=
# Sanitized objects must never mix with plain ones: they get a tree of their own.
ifneq ($(SANITIZE),)
BUILD    ?= build-asan
else
BUILD    ?= build
endif
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool

PKGS     := libbpf libelf libdw zlib libprotobuf-c libmicrohttpd libtraceevent libtracefs
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -fno-omit-frame-pointer -D_GNU_SOURCE \
            -Isrc -I$(BUILD) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libdebuginfod is dlopen()ed when DEBUGINFOD_URLS is set (its header comes from
# libdebuginfod-dev); --as-needed keeps unused libraries out of every start.
LDFLAGS  += -Wl,--as-needed
# The libraries kiln links besides glibc go in statically by default: binding nine shared
# libraries at every start cost ~1 ms of user CPU, a tenth of what a short `kiln record -a`
# spends in user space. STATIC_LIBS=0 links them as shared libraries.
LINK_PKGS := libbpf libelf libdw zlib libprotobuf-c libtraceevent libtracefs
STATIC_LIBS ?= 1
ifeq ($(STATIC_LIBS),1)
LDLIBS   += -Wl,-Bstatic \
            $(filter-out -pthread -lpthread,$(shell pkg-config --static --libs $(LINK_PKGS) 2>/dev/null)) \
            -liberty -Wl,-Bdynamic -ldl -lpthread -lm
else
LDLIBS   += $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null) -liberty -ldl -lpthread -lm
endif
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

ifneq ($(FUZZ),)
CFLAGS   += -fsanitize=fuzzer-no-link
endif

ARCH     := x86
# Debian's asm/ headers sit under the multiarch triplet, which gcc knows (clang says x86_64-pc-...)
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || $(CC) -dumpmachine)
BPF_SRCS := $(wildcard src/*/*.bpf.c)
BPF_OBJS := $(patsubst src/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst src/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

LIB_SRCS := $(filter-out src/main.c %.bpf.c,$(wildcard src/*.c src/*/*.c))
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRCS))
GEN_SRCS := $(patsubst proto/%.proto,$(BUILD)/proto/%.pb-c.c,$(wildcard proto/*.proto))
GEN_OBJS := $(GEN_SRCS:.c=.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_TIME ?= 150
WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOADS := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(WORKLOAD_SRCS))
# Without frame pointers, for the DWARF unwinder: -O2 like distribution binaries.
NOFP_SRCS := $(wildcard tests/workloads/nofp/*.c tests/workloads/nofp/*.cc)
WORKLOADS += $(patsubst tests/workloads/nofp/%,$(BUILD)/workloads/nofp/%,$(basename $(NOFP_SRCS)))
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))

KILN := $(BUILD)/kiln

# deps runs before anything is compiled (order-only), also under make -j.
# Skeletons and generated protobuf code are intermediates make would otherwise delete.
.SECONDARY:

.PHONY: all deps demo test unit bench install lint format clean fuzz fuzz-run
all: deps $(KILN)

deps:
	@bash scripts/deps.sh

$(KILN): $(BUILD)/main.o $(LIB_OBJS) $(GEN_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/vmlinux.h: | deps
	@mkdir -p $(@D)
	@if [ -r /sys/kernel/btf/vmlinux ]; then \
	  $(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@; \
	else cp src/vmlinux/vmlinux.h $@; fi

$(BUILD)/%.bpf.o: src/%.bpf.c $(BUILD)/vmlinux.h $(wildcard src/*/*.h)
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Isrc -idirafter /usr/include/$(MULTIARCH) -c $< -o $@
	@llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<))_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto | deps
	@mkdir -p $(BUILD)/proto
	protoc-c --c_out=$(BUILD)/proto --proto_path=proto $<

$(BUILD)/proto/%.pb-c.o: $(BUILD)/proto/%.pb-c.c
	$(CC) $(filter-out -Werror,$(CFLAGS)) -c $< -o $@

$(BUILD)/%.o: src/%.c $(SKELS) $(GEN_SRCS:.c=.h) | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(GEN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Workloads keep frame pointers and symbols: the tests check exact stacks against them.
# clang, because gcc 12 drops the frame of leaf functions even with -mno-omit-leaf-frame-pointer.
$(BUILD)/workloads/%: tests/workloads/%.c
	@mkdir -p $(@D)
	$(CLANG) -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-inline -fno-optimize-sibling-calls -Wall -Werror \
	  -o $@ $< -lpthread -lm -ldl

# Test helpers: programs the integration tests drive, linked like the unit tests.
$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB_OBJS) $(GEN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# lib*.c become shared objects the workloads dlopen().
$(BUILD)/workloads/nofp/lib%: tests/workloads/nofp/lib%.c
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -fomit-frame-pointer -fPIC -shared -Wall -Werror -o $@.so $< && touch $@
$(BUILD)/workloads/nofp/%: tests/workloads/nofp/%.c
	@mkdir -p $(@D)
	$(CLANG) -O2 -g -fomit-frame-pointer -Wall -Werror -o $@ $< -lpthread -lm -ldl
$(BUILD)/workloads/nofp/%: tests/workloads/nofp/%.cc
	@mkdir -p $(@D)
	$(CLANG)++ -O2 -g -fomit-frame-pointer -Wall -Werror -o $@ $<

unit: $(UNIT_BINS)

# One libFuzzer target per reader, built by clang with ASan+UBSan in their own tree; each runs
# FUZZ_TIME seconds (FUZZ_TARGETS=pattern picks some) and a finding fails the target.
fuzz:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(CLANG) SANITIZE=1 FUZZ=1 fuzz-run

fuzz-run: deps $(FUZZ_BINS)
	@BUILD=$(BUILD) FUZZ_TIME=$(FUZZ_TIME) bash tests/fuzz/run.sh

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJS) $(GEN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

test: deps $(KILN) $(UNIT_BINS) $(WORKLOADS) $(TOOL_BINS)
	@BUILD=$(BUILD) bash tests/run.sh

demo: deps $(KILN) $(WORKLOADS)
	@BUILD=$(BUILD) bash scripts/demo.sh

bench: deps $(KILN) $(WORKLOADS)
	@BUILD=$(BUILD) bash bench/run.sh

install: $(KILN)
	install -D -m 0755 $(KILN) $(DESTDIR)$(PREFIX)/bin/kiln
	install -D -m 0644 doc/kiln.1 $(DESTDIR)$(PREFIX)/share/man/man1/kiln.1

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Isrc -I$(BUILD) \
	  $(filter-out %.bpf.c,$(wildcard src/*.c src/*/*.c))
	clang-format --dry-run --Werror $(wildcard src/*.c src/*/*.c src/*/*.h tests/unit/*.c)

format:
	clang-format -i $(wildcard src/*.c src/*/*.c src/*/*.h tests/unit/*.c)

clean:
	rm -rf $(BUILD) build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
