using KalkiEdge.Assurance;
using KalkiEdge.Assurance.Measurement;

namespace KalkiEdge.Management.Api;

/// <summary>The μmbox catalogue as the API shows it: each image measured once, and whether the signed manifest lists that measurement.</summary>
internal static class ImageViews
{
    public static Func<IReadOnlyList<ImageInfo>> Of(Appliance.EdgeAppliance appliance, AssuranceServices? assurance)
    {
        // Images cannot change while running: measure once, on first request.
        var images = new Lazy<IReadOnlyList<ImageInfo>>(() => [.. appliance.Images.All.OrderBy(i => i.Name, StringComparer.Ordinal).Select(i =>
        {
            var measurement = ImageMeasurer.Measure(i.Name, i.Version, i.Chain);
            var listed = assurance?.Attestor.Manifest.For(i.Name).Any(e => e.Version == i.Version && e.Measurement.Equals(measurement)) ?? false;
            return new ImageInfo(i.Name, i.Version, i.Description, i.Chain.Text, measurement.ToString(), listed);
        })]);
        return () => images.Value;
    }
}
