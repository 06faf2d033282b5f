using System.Runtime.InteropServices;
using KalkiEdge.Host.Memory;

namespace KalkiEdge.UnitTests.Host;

public class StartupPagesTests
{
    // Four mappings of a NativeAOT process, as /proc/PID/smaps lists them (fields between cut short).
    private const string Smaps = """
        55a090c44000-55a091cba000 r-xp 0003f000 fe:00 12223416                   /opt/kalki-edge/kalki-edge
        Size:              16856 kB
        Rss:               12440 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me sd
        55a092cfb000-55a092cfc000 r--p 020f5000 fe:00 12223416                   /opt/kalki-edge/kalki-edge
        Size:                  4 kB
        Rss:                   4 kB
        Anonymous:             4 kB
        VmFlags: rd mr mw me ac sd
        55a092cfc000-55a092d88000 rw-p 020f6000 fe:00 12223416                   /opt/kalki-edge/kalki-edge
        Size:                560 kB
        Rss:                 560 kB
        Anonymous:           236 kB
        VmFlags: rd wr mr mw me ac sd
        55a092d88000-55a09378e000 rw-p 00000000 00:00 0 
        Size:              10520 kB
        Rss:               10204 kB
        Anonymous:         10204 kB
        VmFlags: rd wr mr mw me ac sd
        7f14f0000000-7f14f1580000 rw-s 00000000 00:08 4411                       socket:[4411]
        Size:              22016 kB
        Rss:               22016 kB
        Anonymous:             0 kB
        VmFlags: rd wr sh mr mw me ms sd
        7f14dba00000-7f14dbac5000 r--p 00000000 fe:00 332131                     /usr/lib/x86_64-linux-gnu/libcrypto.so.3 (deleted)
        Size:                788 kB
        Rss:                 788 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me sd
        """;

    [Test]
    public void The_listing_gives_each_mapping_its_range_permissions_file_and_resident_parts()
    {
        var mappings = FileMapping.Parse(new StringReader(Smaps));

        Assert.That(mappings, Has.Count.EqualTo(6));
        Assert.That(mappings[0], Is.EqualTo(new FileMapping(0x55a090c44000, 0x55a091cba000, "r-xp", "/opt/kalki-edge/kalki-edge", 12440, 0)));
        Assert.That(mappings[3].Path, Is.Empty);
        Assert.That(mappings[4].Path, Is.EqualTo("socket:[4411]"));
    }

    [Test]
    public void Only_read_only_private_pages_still_the_files_own_are_clean_copies()
    {
        var clean = FileMapping.Parse(new StringReader(Smaps)).Select(m => m.IsCleanFileCopy).ToList();

        // The code; not the relocated read-only data, the data, the anonymous memory, the capture ring, nor a
        // mapping whose file was deleted (its pages could not be read again).
        Assert.That(clean, Is.EqualTo(new[] { true, false, false, false, false, false }));
    }

    [Test]
    public void A_mapping_whose_private_part_is_not_listed_is_not_a_clean_copy()
    {
        var mappings = FileMapping.Parse(new StringReader("""
            55a090c44000-55a091cba000 r-xp 0003f000 fe:00 12223416                   /opt/kalki-edge/kalki-edge
            Rss:               12440 kB
            """));

        Assert.That(mappings.Single().IsCleanFileCopy, Is.False);
    }

    [Test]
    public void A_mapping_with_a_size_field_it_cannot_read_is_left_out()
    {
        var mappings = FileMapping.Parse(new StringReader("""
            55a090c44000-55a091cba000 r-xp 0003f000 fe:00 12223416                   /opt/kalki-edge/kalki-edge
            Rss:               many kB
            Anonymous:             0 kB
            7f14dba00000-7f14dbac5000 r--p 00000000 fe:00 332131                     /usr/lib/libcrypto.so.3
            Rss:                 788 kB
            Anonymous:             0 kB
            """));

        Assert.That(mappings.Select(m => m.Path), Is.EqualTo(new[] { "/usr/lib/libcrypto.so.3" }));
    }

    [Test]
    public void A_maps_listing_gives_each_mapping_with_its_sizes_unknown()
    {
        var mappings = FileMapping.Parse(new StringReader("""
            55a090c44000-55a091cba000 r-xp 0003f000 fe:00 12223416                   /opt/kalki-edge/kalki-edge
            55a092d88000-55a09378e000 rw-p 00000000 00:00 0 
            7f14dba00000-7f14dbac5000 r--p 00000000 fe:00 332131                     /usr/lib/libcrypto.so.3
            """));

        Assert.That(mappings.Select(m => m.Path), Is.EqualTo(new[] { "/opt/kalki-edge/kalki-edge", "", "/usr/lib/libcrypto.so.3" }));
        Assert.That(mappings.Select(m => m.ResidentKb), Is.All.EqualTo(-1));
        Assert.That(mappings.Any(m => m.IsCleanFileCopy), Is.False);
    }

    [Test]
    public void Releasing_unmaps_resident_pages_of_the_executable_and_the_process_runs_on()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("/proc/self/smaps and madvise are Linux's");
        }

        var before = ExecutableCleanKb();
        var error = new StringWriter();
        var advised = StartupPages.Release(error);

        Assert.That(error.ToString(), Is.Empty);
        Assert.That(advised, Is.GreaterThan(0));
        // What ran since (this test, the runner's threads) maps some of it again, far from all of it.
        Assert.That(ExecutableCleanKb(), Is.LessThan(before));
    }

    [Test]
    public void Releasing_unmaps_resident_pages_of_the_loaded_libraries_too()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("/proc/self/smaps and madvise are Linux's");
        }

        // A library this process loads but never calls: libc would do, but every thread calls it, and a fault maps
        // the 64 kB around the page it needs, so a busy test run maps all of libc again before the listing is read.
        var idle = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libSystem.Net.Security.Native.so");
        var handle = NativeLibrary.Load(idle);
        try
        {
            NativeLibrary.GetExport(handle, "NetSecurityNative_ReleaseGssBuffer"); // reads its symbol tables: resident
            var before = CleanKb(idle);
            var error = new StringWriter();
            StartupPages.Release(error);

            Assert.That(before, Is.GreaterThan(0));
            Assert.That(error.ToString(), Is.Empty);
            Assert.That(CleanKb(idle), Is.Zero);
        }
        finally
        {
            NativeLibrary.Free(handle);
        }
    }

    [Test]
    public void Only_shared_libraries_that_are_loaded_are_held()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("dlopen is glibc's here");
        }

        var libc = LibcPath();
        var notLoaded = Path.Combine(Path.GetTempPath(), $"kalki-not-loaded-{Guid.NewGuid():N}.so");
        using var held = LoadedLibraries.Hold([libc, notLoaded, "/proc/self/smaps", Environment.ProcessPath!]);

        Assert.That(held.Holds(libc), Is.True);
        Assert.That(held.Holds(notLoaded), Is.False);
        Assert.That(held.Holds("/proc/self/smaps"), Is.False);
        Assert.That(held.Holds(Environment.ProcessPath!), Is.False);
    }

    private static string LibcPath() =>
        Mappings().Select(m => m.Path).First(p => Path.GetFileName(p).StartsWith("libc.so.", StringComparison.Ordinal));

    private static long CleanKb(string path) => Mappings().Where(m => m.IsCleanFileCopy && m.Path == path).Sum(m => m.ResidentKb);

    private static long ExecutableCleanKb() => CleanKb(Environment.ProcessPath!);

    private static List<FileMapping> Mappings()
    {
        using var smaps = new StreamReader("/proc/self/smaps");
        return FileMapping.Parse(smaps);
    }
}
