using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace KalkiEdge.Hypervisor.Tests;

[TestFixture]
public sealed class PcrTests : ShimFixture
{
    [Test]
    public void Pcrs_start_at_zero()
    {
        using var shim = OpenEmulated();
        var value = new byte[HypervisorShim.Sha1Size];

        for (var i = 0; i < HypervisorShim.PcrCount; i++)
        {
            shim.ReadPcr(i, value);
            Assert.That(value, Is.All.Zero, $"PCR {i}");
        }
    }

    [Test]
    [SuppressMessage("Security", "CA5350", Justification = "PCRs are SHA-1 by definition (TPM 1.2 / µTPM); this is the reference.")]
    public void Extend_is_sha1_of_old_value_and_measurement()
    {
        using var shim = OpenEmulated();
        var expected = new byte[HypervisorShim.Sha1Size];
        var actual = new byte[HypervisorShim.Sha1Size];

        for (byte round = 0; round < 3; round++)
        {
            var measurement = SHA1.HashData(Pattern(10, round));
            expected = SHA1.HashData([.. expected, .. measurement]);
            shim.ExtendPcr(10, measurement);
            shim.ReadPcr(10, actual);
            Assert.That(actual, Is.EqualTo(expected), $"after extend {round + 1}");
        }

        shim.ReadPcr(11, actual);
        Assert.That(actual, Is.All.Zero, "neighbouring PCR untouched");
    }

    [TestCase(-1)]
    [TestCase(HypervisorShim.PcrCount)]
    [TestCase(int.MaxValue)]
    public void Out_of_range_index_is_rejected(int index)
    {
        using var shim = OpenEmulated();
        var buffer = new byte[HypervisorShim.Sha1Size];

        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => shim.ExtendPcr(index, buffer));
            Assert.Throws<ArgumentOutOfRangeException>(() => shim.ReadPcr(index, buffer));
        });
    }

    [Test]
    public void Wrong_measurement_size_is_rejected()
    {
        using var shim = OpenEmulated();

        Assert.Throws<ArgumentException>(() => shim.ExtendPcr(0, new byte[32]));
    }
}
