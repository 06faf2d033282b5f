using System.Runtime.InteropServices;
using KalkiEdge.Hypervisor.Interop;

namespace KalkiEdge.Hypervisor.Tests;

[TestFixture]
public sealed class ShimLibraryTests
{
    [Test]
    public void LooksNextToTheAppFirstThenInEveryAncestorsOutDirectory()
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
    public void OnArm64TheCrossBuiltLibraryIsAlsoACandidate()
    {
        var candidates = ShimLibrary.CandidatePaths("/repo/bin", Architecture.Arm64);

        Assert.That(candidates, Does.Contain(Path.Combine("/repo", "out", "shim", "arm64", "libkalkishim.so")));
    }

    [Test]
    public void MissingLibraryMessageSaysHowToBuildIt()
    {
        var message = ShimLibrary.NotFoundMessage(["/app/libkalkishim.so", "/out/shim/host/libkalkishim.so"], ["/x/libkalkishim.so: wrong ELF class"]);

        Assert.That(message, Does.Contain("make shim").And.Contain("/app/libkalkishim.so").And.Contain("wrong ELF class"));
    }
}
