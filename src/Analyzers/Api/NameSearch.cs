using System;
using System.Collections.Generic;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>
    /// Names to search source text for (<see cref="ApiModel.MayMention"/>), split once by whether they contain a gate
    /// word: those can only be in the trees where the gate found one.
    /// </summary>
    internal sealed class NameSearch
    {
        public NameSearch(IEnumerable<string> names)
        {
            var with = new List<string>();
            var without = new List<string>();
            foreach (string name in names)
            {
                (ContainsGateWord(name) ? with : without).Add(name);
            }

            WithGateWord = with;
            WithoutGateWord = without;
        }

        public IReadOnlyList<string> WithGateWord { get; }

        public IReadOnlyList<string> WithoutGateWord { get; }

        private static bool ContainsGateWord(string name)
        {
            foreach (string word in ApiTable.GateWords)
            {
                if (name.IndexOf(word, StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
