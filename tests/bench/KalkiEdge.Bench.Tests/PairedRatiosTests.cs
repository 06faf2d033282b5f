namespace KalkiEdge.Bench.Tests;

public sealed class PairedRatiosTests
{
    [Test]
    public void Each_round_is_divided_by_the_same_round_of_the_other_side()
    {
        // Round by round: 2/4, 6/2, 3/3. Sorted apart, the sides would pair as 2/2, 3/3, 6/4.
        var (low, high) = PairedRatios.Range([2, 6, 3], [4, 2, 3]);

        Assert.That((low, high), Is.EqualTo((0.5, 3.0)));
    }

    [Test]
    public void The_spread_reads_as_lowest_to_highest_over_the_rounds()
    {
        Assert.That(PairedRatios.Describe([1.0, 1.5], [2.0, 2.0], "run"), Is.EqualTo("per run 0.5..0.75 over 2"));
    }

    [Test]
    public void Sides_of_different_lengths_or_no_rounds_are_refused_with_the_counts()
    {
        Assert.That(() => PairedRatios.Range([1, 2], [1]), Throws.ArgumentException.With.Message.Contains("2 numerators against 1 denominators"));
        Assert.That(() => PairedRatios.Range([], []), Throws.ArgumentException.With.Message.Contains("no rounds"));
    }

    [Test]
    public void A_median_or_percentile_leaves_the_rounds_in_the_order_they_were_taken()
    {
        List<double> rounds = [3, 1, 2];

        Assert.That(Measure.Median(rounds), Is.EqualTo(2));
        Assert.That(Measure.Percentile(rounds, 100), Is.EqualTo(3));
        Assert.That(rounds, Is.EqualTo(new[] { 3.0, 1.0, 2.0 }));
    }
}
