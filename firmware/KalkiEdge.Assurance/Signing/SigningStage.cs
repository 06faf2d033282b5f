using System.Security.Cryptography;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.Core;
using KalkiEdge.DataPlane;
using KalkiEdge.DataPlane.Io;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// Packet signing between the chains and the egress port. <see cref="Submit"/> tags a frame that left a device's
/// chain (the tag binds device, chain measurement, state epoch and frame bytes, through the shim); before a frame
/// is handed to the egress sink its tag is verified against the device's chain and epoch *at that moment*, so a
/// frame produced by a stale or wrong chain, altered after tagging, or never tagged is dropped and raises
/// <c>signature-failure</c>. Tags are metadata beside the frame and never reach the wire.
/// <para>
/// Bounded and allocation-free per frame: at most <see cref="SigningOptions.BatchSize"/> frames are held, copied
/// into pre-allocated frames. One stage per processing thread (not thread-safe, like an ElementContext); a
/// device's chain may be swapped from other threads at any time (that makes its pending frames stale).
/// </para>
/// </summary>
public sealed class SigningStage : IDisposable
{
    private readonly IHypervisor? _hypervisor;
    private readonly IFrameSink? _egress;
    private readonly ChainMeasurements _measurements;
    private readonly AlertThrottle _alerts;
    private readonly PacketBinding _binding = new();
    private readonly HeldFrame[] _pending;
    private readonly bool[] _tagged;
    private readonly EpochSigner? _epochSigner;

    // The batch as the signer hands it over: carried digests (the HMAC input) and the batch tag.
    private readonly byte[] _digests;
    private readonly byte[] _tag = new byte[HypervisorShim.DigestSize];
    private readonly byte[] _recomputed = new byte[PacketBinding.DigestSize];
    private int _count;
    private bool _sealed;

    /// <param name="batchLog">Epoch mode: receives every batch root the hypervisor signs (audit); none: roots are only counted.</param>
    public SigningStage(IHypervisor? hypervisor, SigningOptions options, IFrameSink? egress, IAlertSink alerts, ChainMeasurements? measurements = null, IBatchRootLog? batchLog = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(alerts);
        if (options.Mode != SigningMode.Off && hypervisor is null)
        {
            throw new ArgumentException($"signing mode {options.Mode} needs the hypervisor shim", nameof(hypervisor));
        }

        Options = options;
        _hypervisor = hypervisor;
        _egress = egress;
        _measurements = measurements ?? new ChainMeasurements();
        _alerts = new AlertThrottle(alerts);
        if (options.Mode == SigningMode.Epoch)
        {
            _epochSigner = new EpochSigner(hypervisor!, options.Mac, _measurements, Counters, batchLog, time ?? TimeProvider.System);
        }

        var capacity = options.Mode == SigningMode.Batched ? options.BatchSize : 1;
        _pending = new HeldFrame[capacity];
        _tagged = new bool[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _pending[i] = new HeldFrame();
        }

        _digests = new byte[capacity * PacketBinding.DigestSize];
    }

    public SigningOptions Options { get; }

    public SigningMode Mode => Options.Mode;

    public SigningCounters Counters { get; } = new();

    /// <summary>Frames tagged but not yet verified and released (at most the batch size).</summary>
    public int Pending => _count;

    /// <summary>
    /// A frame left the chain generation <paramref name="run"/> (forwarded, or a reply the chain built; the engine's
    /// <see cref="ElementContext.Ran"/> for the frame it processed). Copies it, tags it for that generation and, when the
    /// batch is full (per-frame: at once) or the oldest pending frame is older than
    /// <see cref="SigningOptions.MaxHoldMicros"/> in capture time, verifies the batch and releases it to
    /// <paramref name="egress"/>; a frame whose generation is no longer in force is dropped as stale, and
    /// <see cref="ChainRun.None"/> (no chain ran) leaves the frame untagged. Epoch mode copies and holds nothing: the
    /// frame is tagged in place and released or dropped before this returns.
    /// </summary>
    public void Submit(Frame frame, in ChainRun run, IFrameSink? egress) => Submit(frame, run.Device, run.Chain, run.Epoch, egress);

    /// <summary>As <see cref="Submit(Frame, in ChainRun, IFrameSink?)"/>, released to the stage's own sink.</summary>
    public void Submit(Frame frame, in ChainRun run) => Submit(frame, run.Device, run.Chain, run.Epoch, _egress);

    /// <summary>
    /// As <see cref="Submit(Frame, in ChainRun, IFrameSink?)"/>, for a frame that left generation (<paramref name="chain"/>,
    /// <paramref name="epoch"/>) of <paramref name="device"/>, read when its chain had just run, and handed to this stage
    /// later (a signing thread): the frame is tagged for that generation, and dropped as stale unless it is still the
    /// one in force at egress.
    /// </summary>
    public void Submit(Frame frame, DeviceSlot? device, Chain? chain, long epoch, IFrameSink? egress)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Counters.Submitted++;
        if (Options.Mode == SigningMode.Off)
        {
            Counters.Unsigned++;
            Release(frame, egress);
            return;
        }

        if (_epochSigner is not null)
        {
            var problem = _epochSigner.TagAndCheck(frame, device, chain, epoch);
            if (problem == SignatureProblem.None)
            {
                Release(frame, egress);
            }
            else
            {
                Drop(problem, device, frame, epoch);
            }

            return;
        }

        if (_count > 0 && frame.TimestampMicros - _pending[0].Frame.TimestampMicros >= Options.MaxHoldMicros)
        {
            Flush();
        }

        var slot = _pending[_count];
        slot.Hold(frame, device, chain, epoch, egress);
        _tagged[_count] = Tag(slot, _digests.AsSpan(_count * PacketBinding.DigestSize, PacketBinding.DigestSize));
        _count++;
        if (_count == _pending.Length)
        {
            Flush();
        }
    }

    /// <summary>Signs, verifies and releases everything pending (epoch mode: signs the root of the tags so far). Call when idle and at the end of a run.</summary>
    public void Flush()
    {
        _epochSigner?.Seal();
        if (_count == 0)
        {
            return;
        }

        if (!_sealed)
        {
            Seal();
        }

        Verify(_digests.AsSpan(0, _count * PacketBinding.DigestSize));
        for (int i = 0; i < _count; i++)
        {
            _pending[i].Clear(); // do not keep device objects alive from an idle stage
        }

        _count = 0;
        _sealed = false;
    }

    /// <summary>
    /// The egress has nothing more to send right now (a signing thread's ring ran dry): held frames are verified and
    /// released as by <see cref="Flush"/>; epoch mode, which holds no frame, seals its batch root only once
    /// <see cref="RootDue"/>, so a busy port is not one uhsign call per few frames.
    /// </summary>
    public void Idle()
    {
        if (_epochSigner is null)
        {
            Flush();
        }
        else if (_epochSigner.RootDue)
        {
            _epochSigner.Seal();
        }
    }

    /// <summary>Epoch mode: the open batch's first tag is <see cref="EpochSigner.RootInterval"/> old; its root is to be sealed.</summary>
    public bool RootDue => _epochSigner?.RootDue ?? false;

    /// <summary>Epoch mode: how long until the open batch's root is due (<see cref="Idle"/> then seals it); null while none is open.</summary>
    public TimeSpan? RootDueIn => _epochSigner?.RootDueIn;

    public void Dispose()
    {
        _binding.Dispose();
        _epochSigner?.Dispose();
    }

    /// <summary>Test hook: the carried digest of pending frame <paramref name="index"/> (what an attacker in the path could alter).</summary>
    internal Span<byte> CarriedDigest(int index) => _digests.AsSpan(index * PacketBinding.DigestSize, PacketBinding.DigestSize);

    /// <summary>Test hook: a pending frame's bytes as they will be injected.</summary>
    internal Frame PendingFrameAt(int index) => _pending[index].Frame;

    /// <summary>Test hook: egress attributes a pending frame to another device than the one that tagged it.</summary>
    internal void ReattributeForTest(int index, DeviceSlot device) => _pending[index].Device = device;

    /// <summary>Signing side, end of a batch: one shim HMAC over the carried digests (the batch tag).</summary>
    internal void Seal()
    {
        _hypervisor!.Hmac(_digests.AsSpan(0, _count * PacketBinding.DigestSize), _tag);
        Counters.SignCalls++;
        _sealed = true;
    }

    // Tagging side: bind the frame to its device's chain and epoch as they are now.
    private bool Tag(HeldFrame slot, Span<byte> digest)
    {
        var device = slot.Device;
        var chain = slot.Chain;
        if (device is null || chain is null)
        {
            digest.Clear();
            return false;
        }

        _binding.Digest(device.Mac, _measurements.For(chain.Definition), slot.Epoch, slot.Frame.Direction, slot.Frame.Data, digest);
        return true;
    }

    // Egress side: one shim verify for the batch MAC, then each frame's digest recomputed from the egress view.
    private void Verify(ReadOnlySpan<byte> carried)
    {
        var batchValid = _hypervisor!.VerifyHmac(carried, _tag);
        Counters.VerifyCalls++;
        for (int i = 0; i < _count; i++)
        {
            var slot = _pending[i];
            var problem = !_tagged[i] ? SignatureProblem.MissingTag
                : !batchValid ? SignatureProblem.Invalid
                : Check(slot, carried.Slice(i * PacketBinding.DigestSize, PacketBinding.DigestSize));
            if (problem == SignatureProblem.None)
            {
                Release(slot.Frame, slot.Sink);
            }
            else
            {
                Drop(problem, slot.Device, slot.Frame, slot.Epoch);
            }
        }
    }

    private SignatureProblem Check(HeldFrame slot, ReadOnlySpan<byte> carried)
    {
        var device = slot.Device!;
        var chain = device.Chain;
        var epoch = device.Epoch;
        if (chain is null)
        {
            return SignatureProblem.Stale;
        }

        _binding.Digest(device.Mac, _measurements.For(chain.Definition), epoch, slot.Frame.Direction, slot.Frame.Data, _recomputed);
        if (CryptographicOperations.FixedTimeEquals(_recomputed, carried))
        {
            return SignatureProblem.None;
        }

        return epoch != slot.Epoch ? SignatureProblem.Stale : SignatureProblem.Invalid;
    }

    private void Release(Frame frame, IFrameSink? egress)
    {
        Counters.Released++;
        egress?.Send(frame);
    }

    private void Drop(SignatureProblem problem, DeviceSlot? device, Frame frame, long taggedEpoch)
    {
        switch (problem)
        {
            case SignatureProblem.MissingTag: Counters.MissingTag++; break;
            case SignatureProblem.Stale: Counters.Stale++; break;
            default: Counters.Invalid++; break;
        }

        var state = (problem, taggedEpoch, device?.Epoch ?? 0, frame.Number);
        _alerts.Raise(AlertTypes.SignatureFailure, device?.Name ?? "(unattributed)", frame, AlertAction.Blocked, state, static s => Describe(s));
    }

    private static string Describe((SignatureProblem Problem, long Tagged, long Now, long Frame) s) => s.Problem switch
    {
        SignatureProblem.MissingTag => $"frame {s.Frame} reached egress without a tag (no device chain produced it): dropped",
        SignatureProblem.Stale => $"frame {s.Frame} left the chain of state epoch {s.Tagged}, but epoch {s.Now} is in force at egress: dropped",
        _ => $"frame {s.Frame}: tag does not verify for this device, chain measurement and epoch {s.Now}: dropped",
    };
}
