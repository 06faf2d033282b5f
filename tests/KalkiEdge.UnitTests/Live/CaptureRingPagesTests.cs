using System.IO.MemoryMappedFiles;
using KalkiEdge.DataPlane.Live;
using KalkiEdge.TestKit;
using Microsoft.Win32.SafeHandles;

namespace KalkiEdge.UnitTests.Live;

/// <summary>
/// A capture ring's pages are touched for writing when the port opens, without changing a byte: shown on a shared file
/// mapping (found, like the ring, through its descriptor's /proc link), whose pages the kernel then counts dirty.
/// </summary>
public sealed class CaptureRingPagesTests
{
    private const int Pages = 16;

    [Test]
    public void Only_readable_and_writable_mappings_of_the_target_are_found()
    {
        const string maps =
            "7f43a0f09000-7f43a2384000 rw-s 00000000 00:09 2070299                    socket:[2070299]\n" +
            "7f43a2384000-7f43a37ff000 rw-s 00000000 00:09 2070286                    socket:[2070286]\n" +
            "7f43a3800000-7f43a3801000 r--s 00000000 00:09 2070286                    socket:[2070286]\n" +
            "7f43a3900000-7f43a3901000 rw-p 00000000 00:00 0 \n" +
            "7f43a4000000-7f43a4002000 rw-s 00000000 08:01 42                         /tmp/with space/socket:[2070286]\n";

        Assert.That(CaptureRingPages.WritableMappings(maps, "socket:[2070286]").Select(r => ((long)r.Start, (long)r.End)), Is.EqualTo(new[] { (0x7f43a2384000L, 0x7f43a37ff000L) }));
    }

    [Test]
    public unsafe void Every_page_of_the_mapping_is_written_and_keeps_its_bytes()
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"ring-{Guid.NewGuid():N}");
        int size = Pages * Environment.SystemPageSize;
        var content = new byte[size];
        new Random(7).NextBytes(content);
        using (var written = new FileStream(path, FileMode.CreateNew))
        {
            written.Write(content);
            written.Flush(flushToDisk: true); // written back: a page is dirty again only if the touch writes it
        }

        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, size, MemoryMappedFileAccess.ReadWrite);
            using var view = file.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
            Assume.That(Written(path), Is.Zero, "a fresh mapping has no page written yet");

            var touched = CaptureRingPages.Touch((int)handle.DangerousGetHandle());

            Assert.That(touched, Is.EqualTo(Pages));
            Assert.That(Written(path), Is.EqualTo(size), "every page written");
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            try
            {
                Assert.That(new ReadOnlySpan<byte>(start + view.PointerOffset, size).SequenceEqual(content), Is.True);
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void A_descriptor_with_no_mapping_touches_nothing()
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"ring-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, new byte[Environment.SystemPageSize]);
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            Assert.That(CaptureRingPages.Touch((int)handle.DangerousGetHandle()), Is.Zero);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The bytes of <paramref name="path"/>'s mapping the kernel counts written (dirty).</summary>
    private static long Written(string path) => MappedPages.Of("self", p => p == path).Sum(m => m.DirtyBytes);
}
