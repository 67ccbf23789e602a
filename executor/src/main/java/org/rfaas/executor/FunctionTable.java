package org.rfaas.executor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import org.rfaas.function.FaasFunction;
import org.rfaas.function.FunctionNames;
import org.rfaas.protocol.PackageKind;

/**
 * The functions of one package, indexed in a fixed order that the workers announce to the client
 * in their hello; clients resolve names to indices once.
 *
 * <p>Java functions are loaded in a class loader of their own whose parent sees only the JDK and
 * {@code org.rfaas.function}: user code cannot name the executor's classes, so it cannot reach
 * the accounting counters (which are not reachable from any static field either).
 *
 * <p>Native functions follow the original rFaaS ABI {@code uint32_t name(void* in, uint32_t
 * in_size, void* out)}; their downcall handles are made once, here. A native function cannot be
 * bounded by the output capacity (the ABI has no size for {@code out}); the executor checks the
 * returned length, and the send buffer behind {@code out} is the lease's full output capacity.
 */
public final class FunctionTable {
    private static final FunctionDescriptor NATIVE_ABI = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);

    private final FunctionInvoker[] functions;

    private FunctionTable(List<FunctionInvoker> functions) {
        this.functions = functions.toArray(FunctionInvoker[]::new);
    }

    /** Loads a package of the given kind; {@code names} are the symbols to resolve for native ones. */
    public static FunctionTable load(PackageKind kind, Path file, List<String> names) {
        return switch (kind) {
            case JAR -> loadJar(file);
            case NATIVE -> loadNative(file, names);
        };
    }

    /** Loads every {@link FaasFunction} listed as a service in {@code jar}. */
    public static FunctionTable loadJar(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new FunctionLoadException("function package " + jar + " does not exist");
        }
        URL url;
        try {
            url = jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new FunctionLoadException("function package path " + jar + " is not a valid URL", e);
        }
        return ofLoader(new URLClassLoader("rfaas-functions", new URL[] {url}, new FunctionApiOnlyLoader()), jar);
    }

    /**
     * The functions {@code loader} lists as {@link FaasFunction} services, instantiated now (their
     * classes are initialised here: user code runs from this point on).
     */
    static FunctionTable ofLoader(ClassLoader loader, Path jar) {
        return of(ServiceLoader.load(FaasFunction.class, loader), jar);
    }

    /**
     * The functions {@code providers} make, in their order, checked as a package's must be; a
     * provider that cannot be made throws {@link ServiceConfigurationError}, as a
     * {@link ServiceLoader} does.
     */
    static FunctionTable of(Iterable<FaasFunction> providers, Path jar) {
        List<FunctionInvoker> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try {
            for (FaasFunction f : providers) {
                String name = f.name();
                if (!FunctionNames.isValid(name)) {
                    throw new FunctionLoadException(f.getClass().getName() + " has an invalid name '" + name + "'");
                }
                if (!seen.add(name)) {
                    throw new FunctionLoadException("two functions are named '" + name + "' in " + jar);
                }
                out.add(new JavaInvoker(name, f));
            }
        } catch (ServiceConfigurationError e) {
            throw new FunctionLoadException("cannot load the functions of " + jar + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new FunctionLoadException(jar + " lists no functions: add META-INF/services/"
                    + FaasFunction.class.getName() + " naming the classes");
        }
        if (out.size() > 0xffff) {
            throw new FunctionLoadException(jar + " has more than 65535 functions");
        }
        return new FunctionTable(out);
    }

    /** Resolves {@code names} in the shared library {@code library}; lives as long as the process. */
    public static FunctionTable loadNative(Path library, List<String> names) {
        if (!Files.isRegularFile(library)) {
            throw new FunctionLoadException("function library " + library + " does not exist");
        }
        if (names.isEmpty()) {
            throw new FunctionLoadException("no function names given for native library " + library);
        }
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new FunctionLoadException("cannot load " + library + " as a shared library: " + e.getMessage(), e);
        }
        Linker linker = Linker.nativeLinker();
        List<FunctionInvoker> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String name : names) {
            FunctionNames.require(name);
            if (!seen.add(name)) {
                throw new FunctionLoadException("function '" + name + "' is named twice");
            }
            MemorySegment symbol = lookup.find(name).orElseThrow(() -> new FunctionLoadException(
                    "symbol '" + name + "' not found in " + library + " (is it exported with C linkage?)"));
            out.add(new NativeInvoker(name, linker.downcallHandle(symbol, NATIVE_ABI)));
        }
        return new FunctionTable(out);
    }

    /** Number of functions. */
    public int size() {
        return functions.length;
    }

    /** The function at {@code index}, or {@code null} when there is none. */
    FunctionInvoker get(int index) {
        return index >= 0 && index < functions.length ? functions[index] : null;
    }

    /** The class loader of the Java function at {@code index}, {@code null} for a native one (tests). */
    ClassLoader loaderOf(int index) {
        return functions[index] instanceof JavaInvoker j ? j.function().getClass().getClassLoader() : null;
    }

    /** Names in index order. */
    public List<String> names() {
        List<String> names = new ArrayList<>(functions.length);
        for (FunctionInvoker f : functions) {
            names.add(f.name());
        }
        return names;
    }

    private record JavaInvoker(String name, FaasFunction function, boolean runsInPlace) implements FunctionInvoker {
        JavaInvoker(String name, FaasFunction function) {
            this(name, function, function.runsInPlace());
        }

        @Override
        public long invoke(MemorySegment input, MemorySegment output) throws Throwable {
            return function.invoke(input, output);
        }

        @Override
        public long invokeInPlace(MemorySegment data, int inputLength) throws Throwable {
            return function.invokeInPlace(data, inputLength);
        }
    }

    private record NativeInvoker(String name, MethodHandle handle) implements FunctionInvoker {
        @Override
        public long invoke(MemorySegment input, MemorySegment output) throws Throwable {
            return Integer.toUnsignedLong((int) handle.invokeExact(input, (int) input.byteSize(), output));
        }
    }

    /**
     * The parent of a package's class loader: the JDK (platform loader) plus the function API, and
     * nothing else of the executor.
     */
    static final class FunctionApiOnlyLoader extends ClassLoader {
        private static final String API_PACKAGE = FaasFunction.class.getPackageName() + ".";

        FunctionApiOnlyLoader() {
            super("rfaas-function-api", ClassLoader.getPlatformClassLoader());
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            if (name.startsWith(API_PACKAGE)) {
                return FaasFunction.class.getClassLoader().loadClass(name);
            }
            throw new ClassNotFoundException(name + " is not visible to functions (only the JDK and "
                    + API_PACKAGE + "* are)");
        }
    }
}
