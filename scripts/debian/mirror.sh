# Sourced: apt_mirror prints the Debian mirror of this machine's own apt sources (deb822
# debian.sources first, then sources.list), so that no registry host name is written into
# the project.
apt_mirror() {
    local m=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        m=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
    fi
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
    fi
    [ -n "$m" ] || { echo "no Debian mirror found in the apt sources" >&2; return 1; }
    echo "$m"
}
