#!/usr/bin/env bash
# Moodle's coding-style and phpdoc checks over the generated tree (php/), as the plugin's
# CI runs them: ../shared/tools/moodle-cs/check (moodle-cs 3.7, moodle-extra, moodlecheck).
#
# The PHPCSUtils 1.0.12 beside that tool lacks ObjectDeclarations::getDeclaredMethods()
# (PHPCSUtils 1.1), which moodle-cs 3.7's PHPUnit sniffs call on every test file. When it is
# missing, the check runs on a copy of PHPCSUtils in target/ with that one method added
# (our own code, below); nothing in ../shared is changed.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=${MOODLE_CS_TOOLS:-$(cd .. && pwd)/shared/tools/moodle-cs}
if [ ! -x "$TOOLS/check" ]; then
    echo "moodle-cs: SKIPPING: $TOOLS/check not found (set MOODLE_CS_TOOLS)" >&2
    exit 0
fi
UTILS=$TOOLS/phpcsutils
if ! grep -q 'function getDeclaredMethods' "$UTILS/PHPCSUtils/Utils/ObjectDeclarations.php"; then
    OVERLAY=target/phpcsutils
    rm -rf "$OVERLAY"
    mkdir -p target
    cp -r "$UTILS" "$OVERLAY"
    chmod -R u+w "$OVERLAY"
    FILE=$OVERLAY/PHPCSUtils/Utils/ObjectDeclarations.php
    # Drop the class's closing brace, add the method, close the class again.
    sed -i '$ d' "$FILE"
    cat >> "$FILE" <<'PHP'

    /**
     * The methods declared in a class, interface, trait or enum (polyfill of PHPCSUtils 1.1).
     *
     * @param \PHP_CodeSniffer\Files\File $phpcsFile The file.
     * @param int                         $stackPtr  The OO construct's token.
     *
     * @return array<string, int> Method name => T_FUNCTION token position.
     */
    public static function getDeclaredMethods(File $phpcsFile, $stackPtr)
    {
        $tokens = $phpcsFile->getTokens();
        if (isset($tokens[$stackPtr]['scope_opener'], $tokens[$stackPtr]['scope_closer']) === false) {
            return [];
        }
        $methods = [];
        for ($i = $tokens[$stackPtr]['scope_opener'] + 1; $i < $tokens[$stackPtr]['scope_closer']; $i++) {
            if ($tokens[$i]['code'] !== T_FUNCTION || empty($tokens[$i]['conditions'])) {
                continue;
            }
            $conditions = $tokens[$i]['conditions'];
            end($conditions);
            if (key($conditions) !== $stackPtr) {
                continue;
            }
            $name = $phpcsFile->getDeclarationName($i);
            if ($name !== null) {
                $methods[$name] = $i;
            }
        }
        return $methods;
    }
}
PHP
    export PHPCSUTILS_DIR=$PWD/$OVERLAY
fi
"$TOOLS/check" "${1:-php}"
