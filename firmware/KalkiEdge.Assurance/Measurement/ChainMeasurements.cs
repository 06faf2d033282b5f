using System.Runtime.CompilerServices;
using KalkiEdge.DataPlane;

namespace KalkiEdge.Assurance.Measurement;

/// <summary>
/// The measurement each compiled chain is bound to, for packet tags. Attested images record their manifest
/// measurement; other chains (site-defined chain text) get one computed on first use with version 0. Entries
/// live exactly as long as their <see cref="ChainDefinition"/> (weak keys), so the table never outgrows the
/// chains in use. Lookups are lock-free and allocation-free.
/// </summary>
public sealed class ChainMeasurements
{
    /// <summary>Version used for chains that are not manifest images.</summary>
    public const int UnversionedChain = 0;

    private readonly ConditionalWeakTable<ChainDefinition, byte[]> _table = [];

    public void Record(ChainDefinition chain, ImageMeasurement measurement) =>
        _table.AddOrUpdate(chain, measurement.Bytes.ToArray());

    /// <summary>The 32 measurement bytes bound into tags for frames leaving <paramref name="chain"/>.</summary>
    public byte[] For(ChainDefinition chain) => _table.TryGetValue(chain, out var bytes) ? bytes : Add(chain);

    // Kept out of For: a lambda there would allocate its closure on every call, hit or miss.
    private byte[] Add(ChainDefinition chain)
    {
        var computed = ImageMeasurer.Measure(chain.Image ?? "", UnversionedChain, chain).Bytes.ToArray();
        return _table.GetValue(chain, _ => computed);
    }
}
