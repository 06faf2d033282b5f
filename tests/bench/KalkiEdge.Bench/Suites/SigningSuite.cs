using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using KalkiEdge.Appliance;
using KalkiEdge.Appliance.Replay;
using KalkiEdge.Assurance.Signing;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Bench.Suites;

/// <summary>
/// Packet signing cost: engine throughput on the firewall chain with packet signing off / per-frame / batched / epoch
/// (with this CPU's frame MAC and with the other one), measured in the same run (modes interleaved per repetition,
/// medians), reported as ratios against signing off, with the ceilings each design cannot beat; the live bridge's
/// signing pipeline, with the tag on the capture thread and on a signing thread beside it (SigningSuite.BridgePath.cs);
/// the firmware's own replay of a capture, signing off and epoch, its engine sharded as shipped (SigningSuite.Replay.cs);
/// and the call cost of the shim per backend (uberXMHF only where /dev/uhcallkmod exists) and of each frame MAC.
/// </summary>
public sealed partial class SigningSuite : IBenchSuite
{
    private const int Devices = 1_000;
    private const int Repetitions = 5;
    private const string UberXmhfNode = "/dev/uhcallkmod";

    public string Name => "signing";

    public string Description => "engine throughput with packet signing off / per-frame / batched / epoch with each frame MAC (firewall chain, same run), the live bridge's signing pipeline (capture thread, signing thread) against unsigned, the firmware's replay signed / unsigned, and ns/call of the shim and of each frame MAC";

    public IReadOnlyList<Prerequisite> Requires => [Prerequisite.Shim];

    public void Run(SuiteReport report)
    {
        var dir = Directory.CreateTempSubdirectory("kalki-bench-signing-");
        try
        {
            using var emulated = HypervisorShim.Open(new HypervisorShimOptions
            {
                Backend = HypervisorBackendRequest.Emulated,
                KeyPath = Path.Combine(dir.FullName, "hypervisor.key"),
            });
            var mix = TrafficMix.Build(Devices, EngineThroughputSuite.Frames);
            Throughput(report, emulated, mix);
            FirmwareReplay(report, mix, dir.FullName);
            CallCost(report, emulated, "emulated");
            if (File.Exists(UberXmhfNode))
            {
                using var hardware = HypervisorShim.Open(new HypervisorShimOptions { Backend = HypervisorBackendRequest.UberXmhf, AllowHypercalls = true });
                CallCost(report, hardware, "uxmhf");
            }
            else
            {
                report.Add("shim uxmhf: HMAC call", double.NaN, "ns/call", $"not present ({UberXmhfNode} absent)");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Throughput(SuiteReport report, HypervisorShim shim, TrafficMix mix)
    {
        var frames = mix.Order.Length;
        var appliance = EngineThroughputSuite.Build(mix, EngineThroughputSuite.FirewallChain.Trim('"'));
        var preferred = EpochMacs.Preferred;
        var variants = new Variant[]
        {
            new("off", null),
            new("per-frame", new SigningOptions { Mode = SigningMode.PerFrame }),
            new("batched", new SigningOptions { Mode = SigningMode.Batched }, Target: true),
            new($"epoch {EpochMacs.Name(preferred)}", new SigningOptions { Mode = SigningMode.Epoch, Mac = preferred }, Target: true),
            new($"epoch {EpochMacs.Name(Other(preferred))}", new SigningOptions { Mode = SigningMode.Epoch, Mac = Other(preferred) }),
        };
        var times = variants.ToDictionary(v => v, _ => new List<double>());
        var cpu = variants.ToDictionary(v => v, _ => new List<double>());
        var counters = new Dictionary<Variant, SigningCounters>();
        SigningCounters Play(Variant variant)
        {
            using var stage = variant.Options is null ? null : new SigningStage(shim, variant.Options, null, new CountingAlerts());
            mix.Play(new FramePipeline(appliance, signing: stage));
            return stage?.Counters ?? new SigningCounters();
        }

        // Untimed first: without it the first repetition ran at the JIT's first tier, and its ratios read up to 4× the later ones.
        foreach (var variant in variants)
        {
            Play(variant);
        }

        for (int rep = 0; rep < Repetitions; rep++)
        {
            foreach (var variant in variants)
            {
                var (sw, cpu0) = (Stopwatch.StartNew(), CpuTime.Thread());
                counters[variant] = Play(variant);
                times[variant].Add(sw.Elapsed.TotalSeconds);
                cpu[variant].Add(CpuTime.Thread() - cpu0);
            }
        }

        var off = variants[0];
        var fps = variants.ToDictionary(v => v, v => frames / Measure.Median(times[v]));
        var note = $"firewall chain, {Devices} devices, avg {mix.AverageFrameBytes:F0} B, median of {Repetitions}; epoch auto on this CPU: {EpochMacs.Name(preferred)}";
        foreach (var variant in variants)
        {
            var c = counters[variant];
            report.Add($"signing {variant.Name}: engine + signing", fps[variant], "frames/s", variant == off ? note : $"{c.Released:N0} frames signed+verified, {c.SignCalls:N0} sign calls, {c.Dropped} dropped");
        }

        foreach (var variant in variants.Skip(1))
        {
            var ratio = fps[variant] / fps[off];
            report.Add($"ratio signing {variant.Name} / off", ratio, "x", $"throughput cost {(1 - ratio) * 100:F1}%{(variant.Target ? $" (target < 15%: {(1 - ratio < 0.15 ? "met" : "NOT met")})" : "")}; {PairedRatios.Describe(times[off], times[variant], "repetition")}");
        }

        // The same ratios by the thread's processor time: on a loaded machine wall time follows the scheduler more than the code.
        foreach (var variant in variants.Skip(1))
        {
            var ratio = Measure.Median(cpu[off]) / Measure.Median(cpu[variant]);
            report.Add($"ratio signing {variant.Name} / off (processor time)", ratio, "x", $"cost {(1 - ratio) * 100:F1}% of the engine thread's processor time; {PairedRatios.Describe(cpu[off], cpu[variant], "repetition")}");
        }

        // The floor any implementation of batched signing meets: each signed frame is hashed twice (tag, egress
        // check) over its bytes, so even with a free shim and zero bookkeeping the throughput is bounded by this.
        var engineNanos = 1e9 / fps[off];
        var digest = DigestNanos(mix.AverageFrameBytes);
        Ceiling(report, "two SHA-256 digests per frame", 2 * digest, engineNanos, $"digest of a {mix.AverageFrameBytes:F0} B frame = {digest:F0} ns here");

        // Epoch mode's floor: one frame tag per frame and nothing else.
        foreach (var mac in new[] { preferred, Other(preferred) })
        {
            var tag = TagNanos(mix.AverageFrameBytes, shim, mac);
            Ceiling(report, $"one {EpochMacs.Name(mac)} frame tag", tag, engineNanos,
                $"tag of a {mix.AverageFrameBytes:F0} B frame = {tag:F0} ns here; engine alone {engineNanos:F0} ns/frame; a 15% cost needs all signing under {0.15 / 0.85 * engineNanos:F0} ns");
        }

        BridgePath(report, shim, mix, appliance);
    }

    private static void Ceiling(SuiteReport report, string what, double addedNanos, double engineNanos, string note)
    {
        var ratio = engineNanos / (engineNanos + addedNanos);
        report.Add($"ceiling: off + {what} only", ratio, "x", $"{note}; best possible cost {(1 - ratio) * 100:F1}%");
    }

    private static EpochMac Other(EpochMac mac) => mac == EpochMac.Gmac ? EpochMac.ChaCha20Poly1305 : EpochMac.Gmac;

    private static double DigestNanos(double frameBytes)
    {
        using var binding = new PacketBinding();
        var frame = new byte[(int)Math.Round(frameBytes)];
        var measurement = new byte[PacketBinding.DigestSize];
        var digest = new byte[PacketBinding.DigestSize];
        return NanosPerCall(() => binding.Digest(1, measurement, 1, Direction.FromDevice, frame, digest));
    }

    private static double TagNanos(double frameBytes, HypervisorShim shim, EpochMac mac)
    {
        using var key = new EpochKey(shim, mac, new byte[EpochKey.SessionSize], 1, new byte[32], 1);
        var frame = new byte[(int)Math.Round(frameBytes)];
        var tag = new byte[EpochKey.TagSize];
        long sequence = 0;
        return NanosPerCall(() => key.Tag(sequence++, Direction.FromDevice, frame, tag));
    }

    // GMAC through OpenSSL's AES-GCM, one call per frame: what the managed GMAC saves on this CPU.
    private static double OpenSslGmacNanos(double frameBytes)
    {
        using var gcm = new AesGcm(new byte[16], EpochKey.TagSize);
        var frame = new byte[(int)Math.Round(frameBytes)];
        var nonce = new byte[12];
        var tag = new byte[EpochKey.TagSize];
        long sequence = 0;
        return NanosPerCall(() =>
        {
            BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(4), sequence++);
            gcm.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, frame);
        });
    }

    private static void CallCost(SuiteReport report, HypervisorShim shim, string backend)
    {
        var data = new byte[HypervisorShim.MaxHmacInput];
        var digest = new byte[HypervisorShim.DigestSize];
        var sha1 = new byte[HypervisorShim.Sha1Size];
        Random.Shared.NextBytes(data);
        var note = shim.Description;
        report.Add($"shim {backend}: HMAC of 32 B (per-frame tag)", NanosPerCall(() => shim.Hmac(data.AsSpan(0, 32), digest)), "ns/call", note);
        report.Add($"shim {backend}: HMAC of 1600 B (50-frame batch)", NanosPerCall(() => shim.Hmac(data, digest)), "ns/call");
        shim.Hmac(data, digest);
        report.Add($"shim {backend}: verify of 1600 B", NanosPerCall(() => shim.VerifyHmac(data, digest)), "ns/call");
        report.Add($"shim {backend}: PCR extend", NanosPerCall(() => shim.ExtendPcr(23, sha1)), "ns/call");
        report.Add("packet digest SHA-256 (490 B frame)", DigestNanos(490), "ns/call", "batched mode: twice per signed frame (tag + egress check)");
        foreach (var mac in new[] { EpochMac.Gmac, EpochMac.ChaCha20Poly1305 })
        {
            report.Add($"frame tag {EpochMacs.Name(mac)} (490 B frame)", TagNanos(490, shim, mac), "ns/call",
                mac == EpochMac.Gmac && AesGmac.IsSupported ? "epoch mode: once per frame; managed AES-NI + PCLMULQDQ" : "epoch mode: once per frame; through OpenSSL");
        }

        if (AesGmac.IsSupported)
        {
            report.Add("frame tag gmac through OpenSSL AesGcm (490 B frame)", OpenSslGmacNanos(490), "ns/call", "the same tag, one OpenSSL call per frame (not used where the managed one runs)");
        }
    }

    private static double NanosPerCall(Action call)
    {
        const int Calls = 20_000;
        for (int i = 0; i < 1_000; i++)
        {
            call();
        }

        var samples = new List<double>();
        for (int rep = 0; rep < Repetitions; rep++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < Calls; i++)
            {
                call();
            }

            samples.Add(sw.Elapsed.TotalNanoseconds / Calls);
        }

        return Measure.Median(samples);
    }

    private sealed record Variant(string Name, SigningOptions? Options, bool Target = false);

    private sealed class CountingAlerts : IAlertSink
    {
        public long Count { get; private set; }

        public void Raise(Alert alert) => Count++;
    }
}
