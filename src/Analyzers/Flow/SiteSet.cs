using System;

namespace ComImpersonation.Analyzers.Flow
{
    /// <summary>
    /// An immutable set of small non-negative integers (site indices). The first 64 live inline, so the common
    /// case of a method with a handful of sites never allocates.
    /// </summary>
    internal readonly struct SiteSet : IEquatable<SiteSet>
    {
        private readonly ulong _low;
        private readonly ulong[]? _high; // bits for 64.., trimmed of trailing zero words; null when none

        private SiteSet(ulong low, ulong[]? high)
        {
            _low = low;
            _high = high;
        }

        public static SiteSet Empty => default;

        public bool IsEmpty => _low == 0 && _high is null;

        public static SiteSet Of(int site) => Empty.Add(site);

        public bool Contains(int site)
        {
            if (site < 64)
            {
                return (_low & (1UL << site)) != 0;
            }

            int word = (site - 64) >> 6;
            return _high is not null && word < _high.Length && (_high[word] & (1UL << (site & 63))) != 0;
        }

        public SiteSet Add(int site)
        {
            if (site < 64)
            {
                return new SiteSet(_low | (1UL << site), _high);
            }

            if (Contains(site))
            {
                return this;
            }

            int word = (site - 64) >> 6;
            var high = new ulong[Math.Max(word + 1, _high?.Length ?? 0)];
            _high?.CopyTo(high, 0);
            high[word] |= 1UL << (site & 63);
            return new SiteSet(_low, high);
        }

        public SiteSet Union(SiteSet other)
        {
            if (other._high is null && _high is null)
            {
                return new SiteSet(_low | other._low, null);
            }

            if (other.IsSubsetOf(this))
            {
                return this;
            }

            if (IsSubsetOf(other))
            {
                return other;
            }

            ulong[] a = _high ?? Array.Empty<ulong>();
            ulong[] b = other._high ?? Array.Empty<ulong>();
            var high = new ulong[Math.Max(a.Length, b.Length)];
            for (int i = 0; i < high.Length; i++)
            {
                high[i] = (i < a.Length ? a[i] : 0) | (i < b.Length ? b[i] : 0);
            }

            return new SiteSet(_low | other._low, high);
        }

        public SiteSet Except(SiteSet other)
        {
            if (_high is null)
            {
                return new SiteSet(_low & ~other._low, null);
            }

            var high = (ulong[])_high.Clone();
            if (other._high is not null)
            {
                for (int i = 0; i < high.Length && i < other._high.Length; i++)
                {
                    high[i] &= ~other._high[i];
                }
            }

            return new SiteSet(_low & ~other._low, Trim(high));
        }

        public bool IsSubsetOf(SiteSet other)
        {
            if ((_low & ~other._low) != 0)
            {
                return false;
            }

            if (_high is null)
            {
                return true;
            }

            for (int i = 0; i < _high.Length; i++)
            {
                ulong theirs = other._high is not null && i < other._high.Length ? other._high[i] : 0;
                if ((_high[i] & ~theirs) != 0)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The smallest member, or -1 when empty.</summary>
        public int Min()
        {
            if (_low != 0)
            {
                return TrailingZeros(_low);
            }

            if (_high is not null)
            {
                for (int i = 0; i < _high.Length; i++)
                {
                    if (_high[i] != 0)
                    {
                        return 64 + (i * 64) + TrailingZeros(_high[i]);
                    }
                }
            }

            return -1;
        }

        public Enumerator GetEnumerator() => new Enumerator(this);

        public bool Equals(SiteSet other)
        {
            if (_low != other._low)
            {
                return false;
            }

            if (ReferenceEquals(_high, other._high))
            {
                return true;
            }

            if (_high is null || other._high is null || _high.Length != other._high.Length)
            {
                return false;
            }

            for (int i = 0; i < _high.Length; i++)
            {
                if (_high[i] != other._high[i])
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is SiteSet other && Equals(other);

        public override int GetHashCode() => _low.GetHashCode() ^ (_high?.Length ?? 0);

        private static ulong[]? Trim(ulong[] words)
        {
            int length = words.Length;
            while (length > 0 && words[length - 1] == 0)
            {
                length--;
            }

            if (length == 0)
            {
                return null;
            }

            if (length == words.Length)
            {
                return words;
            }

            var trimmed = new ulong[length];
            Array.Copy(words, trimmed, length);
            return trimmed;
        }

        private static int TrailingZeros(ulong value)
        {
            int count = 0;
            while ((value & 1) == 0)
            {
                value >>= 1;
                count++;
            }

            return count;
        }

        public struct Enumerator
        {
            private readonly SiteSet _set;
            private readonly int _limit;
            private int _current;

            internal Enumerator(SiteSet set)
            {
                _set = set;
                _limit = 64 + ((set._high?.Length ?? 0) * 64);
                _current = -1;
            }

            public int Current => _current;

            public bool MoveNext()
            {
                while (++_current < _limit)
                {
                    if (_set.Contains(_current))
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }
}
