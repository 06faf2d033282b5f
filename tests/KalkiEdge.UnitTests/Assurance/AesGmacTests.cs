using System.Security.Cryptography;
using KalkiEdge.Assurance.Signing;

namespace KalkiEdge.UnitTests.Assurance;

/// <summary>
/// The managed AES-128-GMAC against OpenSSL's AES-GCM (empty plaintext, the message as associated data): same tags for
/// random keys, nonces and every length a frame can have, and a different tag for any change.
/// </summary>
public sealed class AesGmacTests
{
    [SetUp]
    public void RequireInstructions()
    {
        if (!AesGmac.IsSupported)
        {
            Assert.Ignore("this CPU has no AES-NI/PCLMULQDQ: epoch signing uses GMAC through OpenSSL or ChaCha20-Poly1305 here");
        }
    }

    [TestCase(4, TestName = "Tags_of_the_512_bit_bulk_loop_equal_openssl_aes_gcm_for_every_length_up_to_a_jumbo_frame")]
    [TestCase(2, TestName = "Tags_of_the_256_bit_bulk_loop_equal_openssl_aes_gcm_for_every_length_up_to_a_jumbo_frame")]
    [TestCase(1, TestName = "Tags_of_the_128_bit_bulk_loop_equal_openssl_aes_gcm_for_every_length_up_to_a_jumbo_frame")]
    public void Tags_equal_openssl(int lanes)
    {
        if (lanes > AesGmac.Lanes)
        {
            Assert.Ignore($"this CPU multiplies at most {AesGmac.Lanes} block(s) per carry-less multiply instruction, not {lanes}");
        }

        var random = new Random(18);
        var mismatches = new List<int>();
        for (int length = 0; length <= 2_100; length++)
        {
            var (key, nonce, message) = (new byte[16], new byte[12], new byte[length]);
            random.NextBytes(key);
            random.NextBytes(nonce);
            random.NextBytes(message);
            if (!Managed(key, nonce, message, lanes).SequenceEqual(OpenSsl(key, nonce, message)))
            {
                mismatches.Add(length);
            }
        }

        Assert.That(mismatches, Is.Empty, "lengths whose tags differ from OpenSSL's");
    }

    [Test]
    public void A_nist_gmac_vector_holds()
    {
        // NIST CAVP gcmEncryptExtIV128.rsp, [Keylen = 128] [IVlen = 96] [PTlen = 0] [AADlen = 128], Count = 0.
        var tag = Managed(Convert.FromHexString("77be63708971c4e240d1cb79e8d77feb"), Convert.FromHexString("e0e00f19fed7ba0136a797f3"), Convert.FromHexString("7a43ec1d9c0a5a78a0b16533a6213cab"));
        Assert.That(Convert.ToHexStringLower(tag), Is.EqualTo("209fcc8d3675ed938e9c7166709dd946"));
    }

    [Test]
    public void Any_one_bit_change_of_the_message_changes_the_tag()
    {
        var (key, nonce, message) = (RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(12), RandomNumberGenerator.GetBytes(130));
        using var gmac = new AesGmac(key);
        var original = new byte[16];
        var tag = new byte[16];
        gmac.Tag(nonce, message, original);
        var unchanged = new List<int>();
        for (int bit = 0; bit < message.Length * 8; bit++)
        {
            message[bit / 8] ^= (byte)(1 << (bit % 8));
            gmac.Tag(nonce, message, tag);
            if (tag.AsSpan().SequenceEqual(original))
            {
                unchanged.Add(bit);
            }

            message[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        gmac.Tag(nonce, message, tag);
        Assert.Multiple(() =>
        {
            Assert.That(unchanged, Is.Empty, "message bits whose flip left the tag as it was");
            Assert.That(tag, Is.EqualTo(original), "the same message, nonce and key give the same tag");
        });
    }

    [Test]
    public void Another_nonce_or_key_gives_another_tag()
    {
        var (key, nonce, message) = (RandomNumberGenerator.GetBytes(16), new byte[12], RandomNumberGenerator.GetBytes(64));
        var first = Managed(key, nonce, message);
        nonce[11] = 1;
        var nextNonce = Managed(key, nonce, message);
        nonce[11] = 0;
        key[0] ^= 1;
        var otherKey = Managed(key, nonce, message);
        Assert.Multiple(() =>
        {
            Assert.That(nextNonce, Is.Not.EqualTo(first));
            Assert.That(otherKey, Is.Not.EqualTo(first));
        });
    }

    [Test]
    public void Wrong_sizes_are_refused_with_what_was_expected()
    {
        using var gmac = new AesGmac(new byte[16]);
        Assert.Multiple(() =>
        {
            Assert.That(() => new AesGmac(new byte[32]), Throws.ArgumentException.With.Message.Contains("16 bytes, not 32"));
            Assert.That(() => gmac.Tag(new byte[8], [], new byte[16]), Throws.ArgumentException.With.Message.Contains("12-byte nonce"));
            Assert.That(() => gmac.Tag(new byte[12], [], new byte[8]), Throws.ArgumentException.With.Message.Contains("16-byte tag"));
        });
    }

    private static byte[] Managed(byte[] key, byte[] nonce, byte[] message, int lanes = 4)
    {
        var tag = new byte[16];
        using var gmac = new AesGmac(key, lanes);
        gmac.Tag(nonce, message, tag);
        return tag;
    }

    private static byte[] OpenSsl(byte[] key, byte[] nonce, byte[] message)
    {
        var tag = new byte[16];
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, message);
        return tag;
    }
}
