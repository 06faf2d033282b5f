using System.Runtime.InteropServices;
using KalkiEdge.Hypervisor.Interop;

namespace KalkiEdge.Hypervisor.Tests;

[TestFixture]
public sealed class ShimLibraryTests
{
    [Test]
    public void Looks_next_to_the_app_first_then_in_every_ancestors_out_directory()
    {
        var baseDir = Path.Combine(Path.GetTempPath(), "repo", "tests", "bin");

        var candidates = ShimLibrary.CandidatePaths(baseDir, Architecture.X64);

        Assert.Multiple(() =>
        {
            Assert.That(candidates[0], Is.EqualTo(Path.Combine(baseDir, "libkalkishim.so")));
            Assert.That(candidates, Does.Contain(Path.Combine(Path.GetTempPath(), "repo", "out", "shim", "host", "libkalkishim.so")));
            Assert.That(candidates, Has.None.Contains("arm64"));
        });
    }

    [Test]
    public void On_arm64_the_cross_built_library_is_also_a_candidate()
    {
        var candidates = ShimLibrary.CandidatePaths("/repo/bin", Architecture.Arm64);

        Assert.That(candidates, Does.Contain(Path.Combine("/repo", "out", "shim", "arm64", "libkalkishim.so")));
    }

    [Test]
    public void Missing_library_message_says_how_to_build_it()
    {
        var message = ShimLibrary.NotFoundMessage(["/app/libkalkishim.so", "/out/shim/host/libkalkishim.so"], ["/x/libkalkishim.so: wrong ELF class"]);

        Assert.That(message, Does.Contain("make shim").And.Contain("/app/libkalkishim.so").And.Contain("wrong ELF class"));
    }

    [Test]
    public void Where_the_library_is_built_nothing_is_reported_unavailable()
    {
        // The tests run after `make shim` (their fixtures open it); a tool asking first gets null, not an exception.
        Assert.That(HypervisorShim.WhyUnavailable(), Is.Null);
    }
}
