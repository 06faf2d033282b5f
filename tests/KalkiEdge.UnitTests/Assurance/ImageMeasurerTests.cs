using KalkiEdge.Assurance.Measurement;
using KalkiEdge.DataPlane;

namespace KalkiEdge.UnitTests.Assurance;

public sealed class ImageMeasurerTests : AssuranceFixture
{
    [Test]
    public void Same_image_measures_the_same_and_covers_its_rule_file()
    {
        WriteRules("camera.rules", CameraRules);
        var a = ImageMeasurer.Measure("camera-normal", 1, Compile(CameraChain));
        var b = ImageMeasurer.Measure("camera-normal", 1, Compile(CameraChain));
        Assert.Multiple(() =>
        {
            Assert.That(b, Is.EqualTo(a));
            Assert.That(Compile(CameraChain).Files.Select(f => f.Name), Is.EqualTo(new[] { "camera.rules" }));
        });
    }

    [Test]
    public void One_byte_of_a_rule_file_changes_the_measurement()
    {
        WriteRules("camera.rules", CameraRules);
        var before = ImageMeasurer.Measure("camera-normal", 1, Compile(CameraChain));
        WriteRules("camera.rules", CameraRules.Replace("sid:2000001", "sid:2000002", StringComparison.Ordinal));
        var after = ImageMeasurer.Measure("camera-normal", 1, Compile(CameraChain));
        Assert.That(after, Is.Not.EqualTo(before));
    }

    [Test]
    public void Name_version_and_chain_text_are_all_covered()
    {
        WriteRules("camera.rules", CameraRules);
        var chain = Compile(CameraChain);
        var baseline = ImageMeasurer.Measure("camera-normal", 1, chain);
        Assert.Multiple(() =>
        {
            Assert.That(ImageMeasurer.Measure("camera-normalx", 1, chain), Is.Not.EqualTo(baseline));
            Assert.That(ImageMeasurer.Measure("camera-normal", 2, chain), Is.Not.EqualTo(baseline));
            Assert.That(ImageMeasurer.Measure("camera-normal", 1, Compile(CameraChain.Replace("allow", "drop", StringComparison.Ordinal))), Is.Not.EqualTo(baseline));
        });
    }

    [Test]
    public void Line_endings_and_trailing_blanks_do_not_change_the_measurement()
    {
        var files = Array.Empty<LoadedFile>();
        var lf = ImageMeasurer.Measure("img", 1, "firewall(default: drop)\n-> rate-limit(pps: 10)\n", files);
        var crlf = ImageMeasurer.Measure("img", 1, "firewall(default: drop)  \r\n-> rate-limit(pps: 10)\r\n\r\n", files);
        var different = ImageMeasurer.Measure("img", 1, "firewall(default: drop) -> rate-limit(pps: 10)", files);
        Assert.Multiple(() =>
        {
            Assert.That(crlf, Is.EqualTo(lf));
            Assert.That(different, Is.Not.EqualTo(lf));
        });
    }

    [Test]
    public void Fields_are_length_prefixed_so_boundaries_cannot_shift()
    {
        // Same concatenated bytes, different split between name and chain text / file name and content.
        var none = Array.Empty<LoadedFile>();
        Assert.Multiple(() =>
        {
            Assert.That(ImageMeasurer.Measure("ab", 1, "c", none), Is.Not.EqualTo(ImageMeasurer.Measure("a", 1, "bc", none)));
            Assert.That(
                ImageMeasurer.Measure("x", 1, "", [new LoadedFile("ab", "/ab", "c"u8.ToArray())]),
                Is.Not.EqualTo(ImageMeasurer.Measure("x", 1, "", [new LoadedFile("a", "/a", "bc"u8.ToArray())])));
        });
    }

    [Test]
    public void File_order_does_not_matter_but_every_file_counts()
    {
        var a = new LoadedFile("a.rules", "/a", "alpha"u8.ToArray());
        var b = new LoadedFile("b.rules", "/b", "beta"u8.ToArray());
        var ab = ImageMeasurer.Measure("img", 1, "t", [a, b]);
        Assert.Multiple(() =>
        {
            Assert.That(ImageMeasurer.Measure("img", 1, "t", [b, a]), Is.EqualTo(ab));
            Assert.That(ImageMeasurer.Measure("img", 1, "t", [a]), Is.Not.EqualTo(ab));
        });
    }

    [Test]
    public void Measurement_round_trips_through_hex()
    {
        var m = ImageMeasurer.Measure("img", 1, "t", []);
        Assert.Multiple(() =>
        {
            Assert.That(ImageMeasurement.TryParse(m.ToString(), out var parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(m));
            Assert.That(m.ToString(), Has.Length.EqualTo(64));
            Assert.That(ImageMeasurement.TryParse("zz" + m.ToString()[2..], out _), Is.False);
            Assert.That(ImageMeasurement.TryParse(m.ToString()[2..], out _), Is.False);
        });
    }
}
