using System.Security.Cryptography;
using KalkiEdge.Assurance.Measurement;
using KalkiEdge.DataPlane;
using KalkiEdge.Hypervisor;

namespace KalkiEdge.Assurance.Signing;

/// <summary>
/// <see cref="SigningMode.Epoch"/>: each frame is tagged in place with its device's epoch key (<see cref="EpochKey"/>)
/// and checked at egress in the same call, before it is sent: the chain generation in force must still be the one
/// whose key tagged it. Nothing is copied or held, and the egress does not recompute the tag: the same thread made
/// it over the very bytes it now sends, and nothing runs between the two. Tags are collected in order into batches
/// (<see cref="BatchLayout"/>) whose root the hypervisor signs (uhsign over the batch's header and the digest of its
/// tags under the session's <see cref="BatchRootKey"/>) when a batch is full or on <see cref="Seal"/>.
/// Not thread-safe (one per signing stage).
/// </summary>
internal sealed class EpochSigner : IDisposable
{
    private readonly IHypervisor _hypervisor;
    private readonly SigningCounters _counters;
    private readonly IBatchRootLog? _log;
    private readonly TimeProvider _time;
    private readonly EpochMac _mac;
    private readonly byte[] _session = new byte[EpochKey.SessionSize];
    private readonly EpochKeys _keys;
    private readonly byte[] _batch = new byte[BatchLayout.MaxSize];
    private readonly byte[] _rootInput = new byte[BatchLayout.RootInputSize];
    private readonly byte[] _root = new byte[HypervisorShim.DigestSize];
    private BatchRootKey? _rootKey; // derived at the first root: a stage that never seals never asks
    private long _sequence;
    private int _tags;
    private long _batchStarted;

    /// <summary>
    /// How long an idle egress (<see cref="SigningStage.Idle"/>) leaves a batch open before sealing its root: the bound
    /// on how late a root comes for the audit, and under load one uhsign call per this much time at most, not one
    /// each time a busy port runs dry for a moment. Frames do not wait for roots either way.
    /// </summary>
    public static readonly TimeSpan RootInterval = TimeSpan.FromMilliseconds(10);

    public EpochSigner(IHypervisor hypervisor, EpochMac mac, ChainMeasurements measurements, SigningCounters counters, IBatchRootLog? log, TimeProvider time)
    {
        _time = time;
        _hypervisor = hypervisor;
        _mac = mac;
        _counters = counters;
        _log = log;
        RandomNumberGenerator.Fill(_session); // a fresh session per stage: keys, and so nonces, never repeat across restarts
        _keys = new EpochKeys(hypervisor, mac, measurements, _session, counters);
    }

    /// <summary>
    /// Tags <paramref name="frame"/>, which left generation (<paramref name="chain"/>, <paramref name="epoch"/>) of
    /// <paramref name="device"/>, and checks it may leave: that generation must be the one in force, before and after
    /// the tag (a frame of a generation swapped out since its chain ran is stale and gets no tag).
    /// </summary>
    public SignatureProblem TagAndCheck(Frame frame, DeviceSlot? device, Chain? chain, long epoch)
    {
        if (device is null || chain is null)
        {
            return SignatureProblem.MissingTag;
        }

        if (!InForce(device, chain, epoch))
        {
            return SignatureProblem.Stale;
        }

        if (_tags == 0)
        {
            BatchLayout.WriteHeader(_batch, _mac, _session, _sequence);
            _batchStarted = _time.GetTimestamp();
        }

        var key = _keys.For(device, chain, epoch);
        key.Tag(_sequence++, frame.Direction, frame.Data, _batch.AsSpan(BatchLayout.HeaderSize + (_tags * EpochKey.TagSize), EpochKey.TagSize));
        if (++_tags == BatchLayout.MaxTags)
        {
            Seal();
        }

        // Egress: a swap on another thread since the chain ran makes this frame stale.
        return InForce(device, chain, epoch) ? SignatureProblem.None : SignatureProblem.Stale;
    }

    /// <summary>A batch is open and its first tag is <see cref="RootInterval"/> old: an idle egress seals it now.</summary>
    public bool RootDue => RootDueIn == TimeSpan.Zero;

    /// <summary>How long until the open batch's root is due (zero once it is); null while no batch is open.</summary>
    public TimeSpan? RootDueIn => _tags > 0 ? UntilRootDue() : null;

    private TimeSpan UntilRootDue()
    {
        var left = RootInterval - _time.GetElapsedTime(_batchStarted);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>The hypervisor signs the root of the tags collected so far (nothing when there are none).</summary>
    public void Seal()
    {
        if (_tags == 0)
        {
            return;
        }

        if (_rootKey is null)
        {
            _rootKey = new BatchRootKey(_hypervisor, _mac, _session);
            _counters.SignCalls++;
        }

        var batch = _batch.AsSpan(0, BatchLayout.HeaderSize + (_tags * EpochKey.TagSize));
        BatchLayout.RootInput(batch, _rootKey, _rootInput);
        _hypervisor.Hmac(_rootInput, _root);
        _counters.SignCalls++;
        _counters.BatchRoots++;
        _log?.Sealed(batch, _root);
        _tags = 0;
    }

    public void Dispose()
    {
        _keys.Dispose();
        _rootKey?.Dispose();
    }

    private static bool InForce(DeviceSlot device, Chain chain, long epoch) => device.Epoch == epoch && ReferenceEquals(device.Chain, chain);
}
