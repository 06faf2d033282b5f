using System.Security.Cryptography;

namespace KalkiEdge.Hypervisor.Tests;

[TestFixture]
public sealed class HmacTests : ShimFixture
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(64)]
    [TestCase(HypervisorShim.MaxHmacInput)]
    public void Hmac_matches_hmac_sha256_with_the_key_file_key(int length)
    {
        using var shim = OpenEmulated();
        var data = Pattern(length, 7);
        var digest = new byte[HypervisorShim.DigestSize];

        shim.Hmac(data, digest);

        Assert.That(digest, Is.EqualTo(HMACSHA256.HashData(ReadKey(), data)));
    }

    [Test]
    public void Shims_sharing_a_key_file_agree()
    {
        using var first = OpenEmulated();
        using var second = OpenEmulated(HypervisorBackendRequest.Auto);
        var data = Pattern(100, 1);
        var a = new byte[HypervisorShim.DigestSize];
        var b = new byte[HypervisorShim.DigestSize];

        first.Hmac(data, a);
        second.Hmac(data, b);

        Assert.That(a, Is.EqualTo(b));
    }

    [Test]
    public void Verify_accepts_the_mac_and_rejects_every_flipped_bit()
    {
        using var shim = OpenEmulated();
        var data = Pattern(200, 3);
        var mac = new byte[HypervisorShim.DigestSize];
        shim.Hmac(data, mac);

        Assert.That(shim.VerifyHmac(data, mac), Is.True);
        for (var bit = 0; bit < mac.Length * 8; bit++)
        {
            mac[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.That(shim.VerifyHmac(data, mac), Is.False, $"flipped MAC bit {bit}");
            mac[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        data[^1] ^= 1;
        Assert.That(shim.VerifyHmac(data, mac), Is.False, "flipped data bit");
    }

    [Test]
    public void Oversize_input_is_rejected_with_a_clear_exception()
    {
        using var shim = OpenEmulated();
        var data = new byte[HypervisorShim.MaxHmacInput + 1];
        var digest = new byte[HypervisorShim.DigestSize];

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => shim.Hmac(data, digest));
        Assert.Multiple(() =>
        {
            Assert.That(ex.ParamName, Is.EqualTo("data"));
            Assert.That(ex.Message, Does.Contain("1601 bytes").And.Contain("at most 1600"));
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => shim.VerifyHmac(data, digest));
    }

    [Test]
    public void Wrong_digest_buffer_size_is_rejected()
    {
        using var shim = OpenEmulated();

        var ex = Assert.Throws<ArgumentException>(() => shim.Hmac([1], new byte[31]));

        Assert.That(ex.Message, Does.Contain("exactly 32 bytes"));
        Assert.Throws<ArgumentException>(() => shim.VerifyHmac([1], new byte[33]));
    }

    [Test]
    public void Concurrent_callers_get_correct_macs()
    {
        using var shim = OpenEmulated();
        var key = ReadKey();
        var failures = 0;

        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var data = Pattern(i % 300, (byte)i);
            var digest = new byte[HypervisorShim.DigestSize];
            shim.Hmac(data, digest);
            if (!digest.AsSpan().SequenceEqual(HMACSHA256.HashData(key, data)))
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.That(failures, Is.Zero);
    }

    [Test]
    public void Hot_path_does_not_allocate()
    {
        using var shim = OpenEmulated();
        var data = Pattern(HypervisorShim.MaxHmacInput, 5);
        var digest = new byte[HypervisorShim.DigestSize];
        var pcr = new byte[HypervisorShim.Sha1Size];
        RunHotPath(shim, data, digest, pcr); // JIT and first-call stubs allocate; measure afterwards

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            RunHotPath(shim, data, digest, pcr);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    private static void RunHotPath(HypervisorShim shim, byte[] data, byte[] digest, byte[] pcr)
    {
        shim.Hmac(data, digest);
        shim.VerifyHmac(data, digest);
        shim.ExtendPcr(3, pcr);
        shim.ReadPcr(3, pcr);
    }
}
