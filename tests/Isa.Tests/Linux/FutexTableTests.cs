using Isa.Runtime.Linux;
using Isa.Runtime.Memory;

namespace Isa.Tests.Linux;

/// <summary>futex(2) semantics of the emulated kernel's wait queues, with real host threads.</summary>
public sealed class FutexTableTests : IDisposable
{
    private const uint Word = 0x1000, Other = 0x1004;
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);
    private readonly GuestMemory _memory = new();
    private readonly FutexTable _futexes;

    public FutexTableTests()
    {
        _memory.Map(0x1000, 0x1000, MemoryPermissions.ReadWrite);
        _futexes = new FutexTable(_memory, bigEndian: false);
    }

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void WaitReturnsEagainWhenTheWordChangedAndTimesOutOtherwise()
    {
        _memory.Write32(Word, 5);
        Assert.Equal(-(long)Errno.EAGAIN, _futexes.Wait(Word, 4, uint.MaxValue, null, CancellationToken.None));
        Assert.Equal(-(long)Errno.ETIMEDOUT, _futexes.Wait(Word, 5, uint.MaxValue, TimeSpan.FromMilliseconds(20), CancellationToken.None));
        Assert.Equal(0, _futexes.Wake(Word, 1, uint.MaxValue)); // the timed-out waiter left the queue
    }

    [Fact]
    public void WakeWakesAsManyWaitersAsAskedWhoseBitsetMatches()
    {
        Sleeper[] waiters = [Waiter(Word, 0, bitset: 1), Waiter(Word, 0, bitset: 2), Waiter(Word, 0, bitset: 2)];
        WaitForQueued(Word, 3);
        Assert.Equal(2, _futexes.Wake(Word, int.MaxValue, 2));
        Assert.True(waiters[1].Join(Long) && waiters[2].Join(Long));
        Assert.False(waiters[0].Join(TimeSpan.FromMilliseconds(50)));
        Assert.Equal(1, _futexes.Wake(Word, 1, uint.MaxValue));
        Assert.Equal(0, waiters[0].Result);
    }

    [Fact]
    public void CmpRequeueMovesWaitersOnlyIfTheWordHoldsTheValue()
    {
        _memory.Write32(Word, 7);
        Sleeper[] waiters = [Waiter(Word, 7), Waiter(Word, 7), Waiter(Word, 7)];
        WaitForQueued(Word, 3);
        Assert.Equal(-(long)Errno.EAGAIN, _futexes.Requeue(Word, 1, 2, Other, expected: 8));
        Assert.Equal(3, _futexes.Requeue(Word, 1, 2, Other, expected: 7)); // one woken, two moved
        Assert.Equal(1, waiters.Count(w => w.Join(TimeSpan.FromMilliseconds(200))));
        Assert.Equal(0, _futexes.Wake(Word, int.MaxValue, uint.MaxValue));
        Assert.Equal(2, _futexes.Wake(Other, int.MaxValue, uint.MaxValue));
        Assert.All(waiters, w => Assert.Equal(0, w.Result));
    }

    [Fact]
    public void WakeOpAppliesItsOperationAndWakesTheSecondWordWhenTheOldValuePasses()
    {
        _memory.Write32(Other, 3);
        Sleeper first = Waiter(Word, 0), second = Waiter(Other, 3);
        WaitForQueued(Word, 1);
        WaitForQueued(Other, 1);

        // FUTEX_OP(FUTEX_OP_ADD, 4, FUTEX_OP_CMP_GT, 2): *Other += 4; wake Other if the old value > 2.
        uint op = (1u << 28) | (4u << 24) | (4u << 12) | 2u;
        Assert.Equal(2, _futexes.WakeOp(Word, 1, Other, 1, op));
        Assert.Equal(7u, _memory.Read32(Other));
        Assert.Equal(0, first.Result);
        Assert.Equal(0, second.Result);

        // FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 1): *Other = 0; the old value 7 is not 1: no second wake.
        _memory.Write32(Other, 0);
        Sleeper third = Waiter(Other, 0);
        WaitForQueued(Other, 1);
        _memory.Write32(Other, 7);
        Assert.Equal(0, _futexes.WakeOp(Word, 1, Other, 1, 1u));
        Assert.Equal(0u, _memory.Read32(Other));
        Assert.False(third.Join(TimeSpan.FromMilliseconds(50)));
        Assert.Equal(1, _futexes.Wake(Other, 1, uint.MaxValue));
    }

    [Fact]
    public void BigEndianGuestsCompareTheWordInTheirOrder()
    {
        var futexes = new FutexTable(_memory, bigEndian: true);
        _memory.Write32(Word, 0x0100_0000); // the big-endian guest's 1
        Assert.Equal(-(long)Errno.ETIMEDOUT, futexes.Wait(Word, 1, uint.MaxValue, TimeSpan.FromMilliseconds(1), CancellationToken.None));
        Assert.Equal(-(long)Errno.EAGAIN, futexes.Wait(Word, 0x0100_0000, uint.MaxValue, TimeSpan.FromMilliseconds(1), CancellationToken.None));
    }

    [Fact]
    public void AnEndingProcessInterruptsItsWaiters()
    {
        using var ended = new CancellationTokenSource();
        var waiter = new Sleeper(() => _futexes.Wait(Word, 0, uint.MaxValue, null, ended.Token));
        WaitForQueued(Word, 1);
        ended.Cancel();
        Assert.Equal(-(long)Errno.EINTR, waiter.Result);
    }

    private Sleeper Waiter(uint address, uint value, uint bitset = uint.MaxValue)
        => new(() => _futexes.Wait(address, value, bitset, Long, CancellationToken.None));

    private void WaitForQueued(uint address, int count)
    {
        var deadline = DateTime.UtcNow + Long;
        while (_futexes.Waiting(address) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{count} waiters never queued on 0x{address:x}");
            Thread.Sleep(1);
        }
    }

    /// <summary>A futex wait on a host thread of its own, as a guest thread would sleep.</summary>
    private sealed class Sleeper
    {
        private readonly Thread _thread;
        private long _result;

        public Sleeper(Func<long> wait)
        {
            _thread = new Thread(() => _result = wait()) { IsBackground = true };
            _thread.Start();
        }

        public long Result => Join(Long) ? _result : throw new TimeoutException("the waiter never returned");

        public bool Join(TimeSpan timeout) => _thread.Join(timeout);
    }
}
