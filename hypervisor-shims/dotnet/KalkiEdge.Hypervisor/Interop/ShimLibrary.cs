using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace KalkiEdge.Hypervisor.Interop;

/// <summary>
/// Finds and loads libkalkishim.so: next to the application first (the Pi image ships it there),
/// then in <c>out/shim/&lt;arch&gt;/</c> of any ancestor directory (a repository checkout, for tests
/// and local runs), then the system's default library search.
/// </summary>
internal static class ShimLibrary
{
    internal const string FileName = "libkalkishim.so";

    private static readonly Lock Gate = new();
    private static nint s_handle;
    private static bool s_resolverInstalled;

    /// <summary>Loads the library once, or throws <see cref="DllNotFoundException"/> naming every place tried.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (s_handle != 0)
            {
                return;
            }

            if (!s_resolverInstalled)
            {
                NativeLibrary.SetDllImportResolver(typeof(ShimLibrary).Assembly, Resolve);
                s_resolverInstalled = true;
            }

            s_handle = LoadFirst(CandidatePaths(AppContext.BaseDirectory, RuntimeInformation.ProcessArchitecture));
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeMethods.LibraryName ? Volatile.Read(ref s_handle) : 0;

    /// <summary>The files to try, in order, for an application in <paramref name="baseDirectory"/>.</summary>
    internal static IReadOnlyList<string> CandidatePaths(string baseDirectory, Architecture architecture)
    {
        var candidates = new List<string> { Path.Combine(baseDirectory, FileName) };
        for (var dir = new DirectoryInfo(baseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var arch in RepositoryBuildDirectories(architecture))
            {
                candidates.Add(Path.Combine(dir.FullName, "out", "shim", arch, FileName));
            }
        }

        return candidates;
    }

    // `make shim` builds for the machine it runs on (out/shim/host); `make shim-arm64` cross-builds
    // out/shim/arm64, which is also loadable when this process itself runs on arm64.
    private static string[] RepositoryBuildDirectories(Architecture architecture) =>
        architecture == Architecture.Arm64 ? ["host", "arm64"] : ["host"];

    private static nint LoadFirst(IReadOnlyList<string> candidates)
    {
        var failures = new List<string>();
        foreach (var path in candidates.Where(File.Exists))
        {
            try
            {
                return NativeLibrary.Load(path);
            }
            catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
            {
                failures.Add($"{path}: {ex.Message}");
            }
        }

        if (NativeLibrary.TryLoad(NativeMethods.LibraryName, typeof(ShimLibrary).Assembly, null, out var handle))
        {
            return handle;
        }

        throw new DllNotFoundException(NotFoundMessage(candidates, failures));
    }

    internal static string NotFoundMessage(IReadOnlyList<string> candidates, IReadOnlyList<string> failures)
    {
        var text = new StringBuilder()
            .Append("The KalkiEdge hypervisor shim (").Append(FileName).Append(") could not be loaded. ")
            .Append("Build it with `make shim` (this machine) or `make shim-arm64` (Pi image) and ship it ")
            .Append("next to the application. Looked for: ").AppendJoin(", ", candidates.Take(3));
        if (candidates.Count > 3)
        {
            text.Append(" and out/shim/ under every parent directory");
        }

        text.Append(", then the system library path.");
        foreach (var failure in failures)
        {
            text.Append(" Found but failed to load ").Append(failure).Append('.');
        }

        return text.ToString();
    }
}
