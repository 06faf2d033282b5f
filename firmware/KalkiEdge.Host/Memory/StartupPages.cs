using System.Runtime.InteropServices;

namespace KalkiEdge.Host.Memory;

/// <summary>
/// Gives back, once start-up is over, the pages of the executable and of its shared libraries that start-up read and
/// the steady state does not: the code that loaded the config, packs and chains and built the management server, in
/// the NativeAOT binary the compressed type data it expanded into <c>.hydrated</c>, and what of libcrypto, libc and
/// the others start-up ran. Unmapped, they stay in the page cache (first in line when the kernel needs memory); what
/// runs afterwards maps its pages again from there with a minor fault, 64 kB at a time, and only that much is
/// resident from then on (docs/platform.md: the `run` RSS). Only pages that are still the file's own are dropped
/// (<see cref="FileMapping.IsCleanFileCopy"/>): reading them again gives the same bytes, as it does whenever the
/// kernel reclaims them under memory pressure. A library is held loaded (<see cref="LoadedLibraries"/>) from before
/// its mappings are read until its pages are dropped: one unloaded in between (libpcap is, once, by the check that
/// it is installed) would leave its address range free for memory of ours, which dropping would then zero.
/// </summary>
internal static partial class StartupPages
{
    private const int MadviseCold = 20;
    private const int MadviseDontNeed = 4;
    private const int InvalidArgument = 22;

    /// <summary>
    /// Drops the clean pages of the executable and its loaded libraries; returns how many bytes of mappings were advised (0 off Linux).
    /// A mapping the kernel refuses is reported on <paramref name="error"/> and left resident.
    /// </summary>
    public static long Release(TextWriter error)
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessPath is not { } executable)
        {
            return 0;
        }

        // Held first (their names from the short list, /proc/self/maps), listed after: a range read while its
        // library is held is that library's until it is let go.
        using var libraries = LoadedLibraries.Hold(Mappings("/proc/self/maps").Select(m => m.Path));
        long advised = 0;
        foreach (var m in Mappings("/proc/self/smaps").Where(m => m.IsCleanFileCopy && (m.Path == executable || libraries.Holds(m.Path))))
        {
            var start = (nint)m.Start;
            var length = (nuint)(m.End - m.Start);
            // Cold first: the pages go to the end of the kernel's reclaim list, so once unmapped they are the first
            // the page cache gives up. Kernels before 5.4 do not know it (EINVAL): unmapping alone still applies.
            if (madvise(start, length, MadviseCold) != 0 && Marshal.GetLastPInvokeError() is var cold and not InvalidArgument)
            {
                error.WriteLine($"kalki-edge: start-up pages of {m.Path} not marked cold (madvise errno {cold}); unmapping them anyway");
            }

            if (madvise(start, length, MadviseDontNeed) != 0)
            {
                error.WriteLine($"kalki-edge: start-up pages of {m.Path} stay resident (madvise errno {Marshal.GetLastPInvokeError()})");
                continue;
            }

            advised += (long)length;
        }

        return advised;
    }

    private static List<FileMapping> Mappings(string listing)
    {
        using var reader = new StreamReader(listing);
        return FileMapping.Parse(reader);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);
}
