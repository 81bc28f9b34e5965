using System.Runtime.InteropServices;
using Isa.Runtime.Linux.Signals;

namespace Isa.Runtime.Linux;

/// <summary>
/// poll, ppoll, select and pselect6: the guest's descriptors and events are translated and the
/// host's ppoll does the waiting, in slices that interval timers can interrupt (EINTR).
/// </summary>
public sealed partial class LinuxKernel
{
    // Host poll bits select(2) reads its three sets from (the kernel's POLLIN_SET, POLLOUT_SET, POLLEX_SET).
    private const short PollIn = 0x1, PollPri = 0x2, PollOut = 0x4, PollErr = 0x8, PollHup = 0x10, PollNval = 0x20;
    private const short PollInSet = PollIn | 0x40 | 0x80 | PollHup | PollErr, PollOutSet = PollOut | 0x100 | 0x200 | PollErr, PollExSet = PollPri;

    /// <summary>A descriptor no process has, for guest fds that are not open: the host reports POLLNVAL for it.</summary>
    private const int ClosedFd = int.MaxValue;

    private const int MaxPollFds = 1 << 16;

    /// <summary>Time left of the last select-family wait, for the timeout it writes back.</summary>
    private long _selectLeft;

    [StructLayout(LayoutKind.Sequential)]
    private struct HostPollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    private long Poll(uint fdsAddress, uint count, int timeoutMs) => PollCommon(fdsAddress, count, timeoutMs < 0 ? -1 : timeoutMs * 1_000_000L, 0, null, 0);

    /// <summary>ppoll (and ppoll_time64): a timespec timeout, written back with the time left, and a mask held during the wait.</summary>
    private long PPoll(uint fdsAddress, uint count, uint timeoutAddress, uint maskAddress, uint setSize, bool time64)
    {
        long timeout = -1;
        if (timeoutAddress != 0 && !TryReadTimespec(timeoutAddress, time64, out timeout))
        {
            return -(long)Errno.EINVAL;
        }

        return PollCommon(fdsAddress, count, timeout, timeoutAddress, time64, maskAddress == 0 ? 0 : setSize, maskAddress);
    }

    private unsafe long PollCommon(uint fdsAddress, uint count, long timeout, uint timeoutAddress, bool? time64, uint setSize, uint maskAddress = 0)
    {
        if (count > MaxPollFds)
        {
            return -(long)Errno.EINVAL;
        }

        var guest = new byte[count * 8];
        _memory.Read(fdsAddress, guest);
        var host = new HostPollFd[count];
        for (int i = 0; i < count; i++)
        {
            int fd = (int)ReadWord(guest.AsSpan(i * 8));
            int events = ReadHalf(guest.AsSpan((i * 8) + 4));
            host[i].Fd = fd < 0 ? -1 : _process.Files.Host((uint)fd) is var h and >= 0 ? h : ClosedFd;
            host[i].Events = (short)LinuxAbi.Translate(events, _abi.PollEvents, toHost: true);
        }

        long result = WaitForDescriptors(host, timeout, timeoutAddress, time64, maskAddress, setSize);
        if (result < 0)
        {
            return result;
        }

        for (int i = 0; i < count; i++)
        {
            var w = new GuestStructWriter(guest.AsSpan((i * 8) + 6), _bigEndian);
            w.U16(0, (ushort)LinuxAbi.Translate((ushort)host[i].Revents, _abi.PollEvents, toHost: false));
        }

        _memory.Write(fdsAddress, guest);
        return result;
    }

    /// <summary>select (_newselect): fd_sets of ABI words, a timeval timeout written back with the time left, as Linux does.</summary>
    private long Select(int count, uint readAddress, uint writeAddress, uint exceptAddress, uint timeoutAddress)
    {
        long timeout = -1;
        if (timeoutAddress != 0)
        {
            Span<byte> bytes = stackalloc byte[8];
            _memory.Read(timeoutAddress, bytes);
            if (!TryTimeval(bytes, out timeout))
            {
                return -(long)Errno.EINVAL;
            }
        }

        long result = SelectCommon(count, readAddress, writeAddress, exceptAddress, timeout, 0, 0);
        if (timeoutAddress != 0 && result >= 0)
        {
            long left = _selectLeft;
            Span<byte> bytes = stackalloc byte[8];
            var w = new GuestStructWriter(bytes, _bigEndian);
            w.U32(0, (uint)(left / 1_000_000_000));
            w.U32(4, (uint)(left % 1_000_000_000 / 1000));
            _memory.Write(timeoutAddress, bytes);
        }

        return result;
    }

    /// <summary>pselect6 (and its time64 twin): a timespec timeout and, through a {sigset pointer, size} pair, a mask held during the wait.</summary>
    private long PSelect(int count, uint readAddress, uint writeAddress, uint exceptAddress, uint timeoutAddress, uint maskPairAddress, bool time64)
    {
        long timeout = -1;
        if (timeoutAddress != 0 && !TryReadTimespec(timeoutAddress, time64, out timeout))
        {
            return -(long)Errno.EINVAL;
        }

        uint maskAddress = 0, setSize = 0;
        if (maskPairAddress != 0)
        {
            Span<byte> pair = stackalloc byte[8];
            _memory.Read(maskPairAddress, pair);
            maskAddress = ReadWord(pair);
            setSize = ReadWord(pair[4..]);
        }

        long result = SelectCommon(count, readAddress, writeAddress, exceptAddress, timeout, maskAddress, setSize);
        if (timeoutAddress != 0 && result >= 0)
        {
            WriteTime(timeoutAddress, _selectLeft / 1_000_000_000, _selectLeft % 1_000_000_000, time64);
        }

        return result;
    }

    private long SelectCommon(int count, uint readAddress, uint writeAddress, uint exceptAddress, long timeout, uint maskAddress, uint setSize)
    {
        if (count < 0)
        {
            return -(long)Errno.EINVAL;
        }

        count = Math.Min(count, MaxPollFds);
        int wordBits = _abi.WordBytes * 8;
        int bytes = (count + wordBits - 1) / wordBits * _abi.WordBytes;
        uint[] addresses = [readAddress, writeAddress, exceptAddress];
        var sets = new byte[3][];
        for (int s = 0; s < 3; s++)
        {
            sets[s] = new byte[bytes];
            if (addresses[s] != 0)
            {
                _memory.Read(addresses[s], sets[s]);
            }
        }

        var fds = new List<int>();
        var host = new List<HostPollFd>();
        for (int fd = 0; fd < count; fd++)
        {
            short events = (short)((FdBit(sets[0], fd) ? PollInSet : 0) | (FdBit(sets[1], fd) ? PollOutSet : 0) | (FdBit(sets[2], fd) ? PollExSet : 0));
            if (events == 0)
            {
                continue;
            }

            int hostFd = _process.Files.Host((uint)fd);
            if (hostFd < 0)
            {
                return -(long)Errno.EBADF;
            }

            fds.Add(fd);
            host.Add(new HostPollFd { Fd = hostFd, Events = events });
        }

        HostPollFd[] polled = [.. host];
        long start = Now(Monotonic);
        long result = WaitForDescriptors(polled, timeout, 0, null, maskAddress, setSize);
        _selectLeft = timeout < 0 ? 0 : Math.Max(0, timeout - (Now(Monotonic) - start));
        if (result < 0)
        {
            return result;
        }

        foreach (byte[] set in sets)
        {
            Array.Clear(set);
        }

        int ready = 0;
        for (int i = 0; i < polled.Length; i++)
        {
            short revents = polled[i].Revents;
            if ((revents & PollNval) != 0)
            {
                return -(long)Errno.EBADF;
            }

            short[] masks = [PollInSet, PollOutSet, PollExSet];
            for (int s = 0; s < 3; s++)
            {
                if ((polled[i].Events & masks[s]) != 0 && (revents & masks[s]) != 0)
                {
                    SetFdBit(sets[s], fds[i]);
                    ready++;
                }
            }
        }

        for (int s = 0; s < 3; s++)
        {
            if (addresses[s] != 0)
            {
                _memory.Write(addresses[s], sets[s]);
            }
        }

        return ready;
    }

    /// <summary>
    /// Waits on host descriptors for at most <paramref name="timeout"/> ns (-1: no limit) under the
    /// guest's temporary mask if one is given; writes the time left to a ppoll timeout. Returns the
    /// host's ready count, 0 on timeout, or -EINTR when a signal interrupts.
    /// </summary>
    private unsafe long WaitForDescriptors(HostPollFd[] fds, long timeout, uint timeoutAddress, bool? time64, uint maskAddress, uint setSize)
    {
        if (maskAddress != 0)
        {
            if (setSize != _abi.SignalSetBytes)
            {
                return -(long)Errno.EINVAL;
            }

            SignalSet mask = ReadSignalSet(maskAddress);
            _thread.SavedMask = _thread.Blocked;
            _thread.Blocked = mask.Except(_unblockable);
        }

        long start = Now(Monotonic);
        long result;
        fixed (HostPollFd* pointer = fds)
        {
            nint address = (nint)pointer;
            int count = fds.Length;
            result = InterruptibleWait(timeout, (slice, _) => HostPoll(address, count, HostWaitSlice(slice)));
        }

        if (timeoutAddress != 0 && time64 is { } wide)
        {
            long left = Math.Max(0, timeout - (Now(Monotonic) - start));
            WriteTime(timeoutAddress, left / 1_000_000_000, left % 1_000_000_000, wide);
        }

        // A signal that interrupts the wait is delivered with the saved mask in its frame (DeliverSignals);
        // otherwise the temporary mask ends with the syscall.
        if (result != -(long)Errno.EINTR && _thread.SavedMask is { } saved)
        {
            _thread.Blocked = saved;
            _thread.SavedMask = null;
        }

        return result;
    }

    private static unsafe long HostPoll(nint fds, int count, long nanoseconds)
    {
        long* ts = stackalloc long[2];
        ts[0] = nanoseconds / 1_000_000_000;
        ts[1] = nanoseconds % 1_000_000_000;
        return HostSyscalls.Call(HostSyscalls.Ppoll, fds, count, nanoseconds < 0 ? 0 : (nint)ts, 0, 8);
    }

    private bool TryReadTimespec(uint address, bool time64, out long nanoseconds)
    {
        Span<byte> bytes = stackalloc byte[time64 ? 16 : 8];
        _memory.Read(address, bytes);
        long seconds, fraction;
        if (time64)
        {
            ulong low = ReadWord(bytes), high = ReadWord(bytes[4..]);
            seconds = _bigEndian ? (long)((low << 32) | high) : (long)((high << 32) | low);
            ulong fLow = ReadWord(bytes[8..]), fHigh = ReadWord(bytes[12..]);
            fraction = (long)(_bigEndian ? fHigh : fLow); // tv_nsec is a 32-bit long padded to 64 bits
        }
        else
        {
            seconds = (int)ReadWord(bytes);
            fraction = (int)ReadWord(bytes[4..]);
        }

        nanoseconds = seconds is >= 0 and < (long.MaxValue / 1_000_000_000) - 1 ? (seconds * 1_000_000_000) + fraction : -1;
        return fraction is >= 0 and < 1_000_000_000 && nanoseconds >= 0;
    }

    private int ReadHalf(ReadOnlySpan<byte> bytes) => _bigEndian
        ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bytes)
        : System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bytes);

    /// <summary>Whether <paramref name="fd"/> is in a guest fd_set (ABI words in guest byte order).</summary>
    private bool FdBit(byte[] set, int fd)
    {
        int word = fd / (_abi.WordBytes * 8), bit = fd % (_abi.WordBytes * 8);
        int index = (word * _abi.WordBytes) + (_bigEndian ? _abi.WordBytes - 1 - (bit / 8) : bit / 8);
        return (set[index] & (1 << (bit % 8))) != 0;
    }

    private void SetFdBit(byte[] set, int fd)
    {
        int word = fd / (_abi.WordBytes * 8), bit = fd % (_abi.WordBytes * 8);
        int index = (word * _abi.WordBytes) + (_bigEndian ? _abi.WordBytes - 1 - (bit / 8) : bit / 8);
        set[index] |= (byte)(1 << (bit % 8));
    }
}
