using System.Runtime.InteropServices;

namespace KalkiEdge.Host.Memory;

/// <summary>
/// Holds a reference on shared libraries the process has already loaded, so that none of them can be unloaded (and
/// its address range reused) while the reference is held: <c>dlopen</c> with <c>RTLD_NOLOAD</c> loads nothing, runs
/// no initializer, and only counts one more user of a library that is there. Disposing gives the references back.
/// </summary>
internal sealed partial class LoadedLibraries : IDisposable
{
    private const int LoadLazy = 0x1;
    private const int LoadNoLoad = 0x4;

    private readonly Dictionary<string, nint> _handles = new(StringComparer.Ordinal);

    private LoadedLibraries()
    {
    }

    /// <summary>
    /// References those of <paramref name="paths"/> that are shared libraries loaded now; a path that is not one
    /// (not named <c>*.so</c> or <c>*.so.N</c>, or not loaded) is left out.
    /// </summary>
    public static LoadedLibraries Hold(IEnumerable<string> paths)
    {
        var held = new LoadedLibraries();
        foreach (var path in paths.Distinct(StringComparer.Ordinal).Where(IsSharedObjectName))
        {
            if (Reference(path) is var handle and not 0)
            {
                held._handles[path] = handle;
            }
        }

        return held;
    }

    /// <summary>Whether this holds a reference on the library at <paramref name="path"/>.</summary>
    public bool Holds(string path) => _handles.ContainsKey(path);

    public void Dispose()
    {
        foreach (var handle in _handles.Values)
        {
            _ = dlclose(handle);
        }

        _handles.Clear();
    }

    private static bool IsSharedObjectName(string path) =>
        path.StartsWith('/') && (path.EndsWith(".so", StringComparison.Ordinal) || path.Contains(".so.", StringComparison.Ordinal));

    private static nint Reference(string path)
    {
        try
        {
            return dlopen(path, LoadLazy | LoadNoLoad);
        }
        catch (EntryPointNotFoundException)
        {
            return 0; // a C library before glibc 2.34 keeps dlopen in libdl: no reference, so the library is not touched
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string path, int flags);

    [LibraryImport("libc")]
    private static partial int dlclose(nint handle);
}
