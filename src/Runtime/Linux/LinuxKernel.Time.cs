namespace Isa.Runtime.Linux;

public sealed partial class LinuxKernel
{
    private unsafe long ClockGetTime(int clock, uint address, bool time64)
    {
        long* ts = stackalloc long[2];
        long result = HostSyscalls.Call(HostSyscalls.ClockGettime, clock, (nint)ts);
        if (result < 0 || address == 0)
        {
            return result;
        }

        WriteTime(address, ts[0], ts[1], time64);
        return 0;
    }

    private unsafe long GetTimeOfDay(uint address)
    {
        long* ts = stackalloc long[2];
        HostSyscalls.Call(HostSyscalls.ClockGettime, 0, (nint)ts);
        if (address != 0)
        {
            WriteTime(address, ts[0], ts[1] / 1000, time64: false);
        }

        return 0;
    }

    private unsafe long Time(uint address)
    {
        long* ts = stackalloc long[2];
        HostSyscalls.Call(HostSyscalls.ClockGettime, 0, (nint)ts);
        if (address != 0)
        {
            var bytes = new byte[4];
            new GuestStructWriter(bytes, _bigEndian).U32(0, (uint)ts[0]);
            _memory.Write(address, bytes);
        }

        return (uint)ts[0];
    }

    /// <summary>
    /// nanosleep and clock_nanosleep (flag 1: TIMER_ABSTIME): a sleep that a signal interrupts with
    /// EINTR, leaving the time not slept in <paramref name="remainingAddress"/> for relative sleeps.
    /// </summary>
    private long Sleep(int clock, int flags, uint requestAddress, uint remainingAddress, bool time64)
    {
        if (!TryReadTimespec(requestAddress, time64, out long request))
        {
            return -(long)Errno.EINVAL;
        }

        bool absolute = (flags & 1) != 0;
        long now = Now(clock);
        if (now < 0)
        {
            return -(long)Errno.EINVAL;
        }

        long duration = absolute ? Math.Max(0, request - now) : request;
        long start = Now(Monotonic);
        long result = InterruptibleWait(duration, SleepUntilSignal);
        if (result == -(long)Errno.EINTR && !absolute && remainingAddress != 0)
        {
            long left = Math.Max(0, duration - (Now(Monotonic) - start));
            WriteTime(remainingAddress, left / 1_000_000_000, left % 1_000_000_000, time64);
        }

        return result;
    }

    private void WriteTime(uint address, long seconds, long fraction, bool time64)
    {
        var bytes = new byte[time64 ? 16 : 8];
        var w = new GuestStructWriter(bytes, _bigEndian);
        if (time64)
        {
            w.U64(0, (ulong)seconds);
            w.U64(8, (ulong)fraction);
        }
        else
        {
            w.U32(0, (uint)seconds);
            w.U32(4, (uint)fraction);
        }

        _memory.Write(address, bytes);
    }
}
