namespace KalkiEdge.Bench.Tests;

public sealed class ThreadScheduleTests
{
    [Test]
    public void A_schedstat_line_gives_time_on_a_cpu_time_waiting_and_slices()
    {
        Assert.That(ThreadSchedule.Parse("4209331012 3512034 12023\n"), Is.EqualTo(new ThreadSchedule(4209331012, 3512034, 12023)));
    }

    [Test]
    public void A_line_that_is_not_schedstat_is_an_error_that_shows_it()
    {
        Assert.That(() => ThreadSchedule.Parse("4209331012 x"), Throws.TypeOf<FormatException>().With.Message.Contains("4209331012 x"));
    }

    [Test]
    public void The_difference_of_two_readings_is_what_the_thread_did_between_them()
    {
        var spent = new ThreadSchedule(3000, 700, 12) - new ThreadSchedule(1000, 200, 10);

        Assert.That(spent, Is.EqualTo(new ThreadSchedule(2000, 500, 2)));
    }

    [Test]
    public void A_named_thread_of_a_process_is_found_and_a_missing_one_is_not()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("/proc is Linux's");
        }

        using var stop = new ManualResetEventSlim();
        var thread = new Thread(() => stop.Wait()) { Name = "schedstat probe" };
        thread.Start();
        try
        {
            Assert.That(ThreadSchedule.Of(Environment.ProcessId, "schedstat probe"), Is.Not.Null);
            Assert.That(ThreadSchedule.Of(Environment.ProcessId, "no such thread"), Is.Null);
        }
        finally
        {
            stop.Set();
            thread.Join();
        }
    }
}
