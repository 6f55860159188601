<?php
// Findings of the PHP fuzz script (tests/fuzz/), each kept as a test: names that are not
// UTF-8, names of any length, and every secret-looking key.

use moodle_events\event;
use moodle_events\validation_exception;
use PHPUnit\Framework\TestCase;

final class HostileInputTest extends TestCase {
    private const DELETED = '\local_archiving\event\archive_job_deleted';

    private static function deleted(): event {
        return event::create(self::DELETED, ['objectid' => 12, 'contextid' => 1]);
    }

    public function test_property_names_that_are_not_utf8_are_undefined_properties(): void {
        $e = self::deleted();
        for ($i = 0; $i < 50; $i++) {   // a heap corrupted by the first read would crash here
            $this->assertFalse(isset($e->{"other\xf0\x9f\x98"}));
            $this->assertSame('none', $e->{"\xff"} ?? 'none');
            $this->assertNull(@$e->{"\xff"});
            $this->assertNull(@$e->__get("\xff"));
            $this->assertFalse($e->__isset("\xff"));
        }
        $warned = null;
        set_error_handler(function (int $no, string $msg) use (&$warned) {
            $warned = $msg;
            return true;
        });
        try {
            $e->{"a\xff"};
        } finally {
            restore_error_handler();
        }
        $this->assertStringEndsWith("Undefined property: moodle_events\\event::\$a\u{FFFD}", $warned);
        foreach ([fn() => $e->{"a\xff"} = 1, function () use ($e) { unset($e->{"a\xff"}); }] as $change) {
            try {
                $change();
                $this->fail('changed');
            } catch (validation_exception $x) {
                $this->assertSame(self::DELETED . ": a\u{FFFD}: Event properties must not be modified.", $x->getMessage());
            }
        }
        $this->assertSame(12, $e->objectid);
    }

    public function test_the_protected_data_property_is_no_field_from_outside(): void {
        $e = self::deleted();
        $this->assertFalse(isset($e->data));
        $this->assertSame('none', $e->data ?? 'none');
        $this->assertNull(@$e->data);
        foreach ([fn() => $e->data = [], function () use ($e) { unset($e->data); }] as $change) {
            try {
                $change();
                $this->fail('changed');
            } catch (validation_exception $x) {
                $this->assertSame(self::DELETED . ': data: Event properties must not be modified.', $x->getMessage());
            }
        }
        // Casts (and so == and PHPUnit's comparisons) still see the 17 fields.
        $this->assertSame($e->get_data(), ((array)$e)["\0*\0data"]);
    }

    public function test_int_keyed_record_columns_are_checked_like_any_other(): void {
        $row = new class(1) extends \SplFixedArray { public $id = '12'; };
        $row[0] = new \stdClass();   // listed as property 0 before PHP 8.4: an object must not get into the event
        $e = self::deleted();
        if (!array_key_exists(0, get_mangled_object_vars($row))) {
            // PHP 8.4 no longer lists SplFixedArray's elements among its properties: no column.
            $e->add_record_snapshot('local_archiving_job', $row);
            $this->assertSame(['id' => '12'], (array)$e->get_record_snapshot('local_archiving_job', 12));
            return;
        }
        try {
            $e->add_record_snapshot('local_archiving_job', $row);
            $this->fail('an object was kept in a snapshot');
        } catch (validation_exception $x) {
            $this->assertStringContainsString(': snapshot.0: must be JSON-compatible', $x->getMessage());
        }
        $this->assertNull($e->get_record_snapshot('local_archiving_job', 12));
        $row[0] = 'text';
        $e->add_record_snapshot('local_archiving_job', $row);
        $this->assertSame('text', $e->get_record_snapshot('local_archiving_job', 12)->{'0'});
    }

    public function test_table_names_that_are_not_utf8_are_no_table(): void {
        $e = self::deleted();
        $this->assertNull($e->get_record_snapshot("local_archiving_job\xff", 12));
        $this->expectException(validation_exception::class);
        $this->expectExceptionMessage(self::DELETED . ': snapshot: snapshots are only for table local_archiving_job');
        $e->add_record_snapshot("local_archiving_job\xff", (object)['id' => '12']);
    }

    public function test_messages_show_at_most_255_characters_of_a_name(): void {
        $plugin = str_repeat('q', 1 << 20) . '_';
        foreach (["\\archivingmod_$plugin\\event\\task_completed", '\\' . str_repeat('x', 1 << 20)] as $name) {
            try {
                event::create($name, ['objectid' => 1, 'contextid' => 1]);
                $this->fail('accepted');
            } catch (validation_exception $x) {
                $this->assertLessThan(2000, strlen($x->getMessage()));
            }
        }
    }

    /** @dataProvider secret_keys */
    #[\PHPUnit\Framework\Attributes\DataProvider('secret_keys')]
    public function test_every_secret_looking_key_is_refused_in_other_and_redacted_in_snapshots(string $key): void {
        $secret = 'S3CR3T-MARKER';
        try {
            event::create('\archivingmod_quiz\event\task_created', ['objectid' => 1, 'contextid' => 1, 'other' => [
                'jobid' => 1, 'activity' => ['cmid' => 1, 'modname' => 'quiz', 'instanceid' => 1],
                'settings' => ['nested' => [$key => $secret]]]]);
            $this->fail("other.settings.nested.$key accepted");
        } catch (validation_exception $x) {
            $this->assertStringContainsString("other.settings.nested.$key: looks like a secret", $x->getMessage());
            $this->assertStringNotContainsString($secret, $x->getMessage());
        }
        $e = self::deleted();
        $e->add_record_snapshot('local_archiving_job', (object)['id' => '12', $key => $secret]);
        $snapshot = $e->get_record_snapshot('local_archiving_job', 12);
        $this->assertTrue(property_exists($snapshot, $key));
        $this->assertNull($snapshot->$key);
        $this->assertStringNotContainsString($secret, print_r($e, true) . json_encode($e));
    }

    public static function secret_keys(): array {
        $keys = ['wstoken', 'Password', 'passwd', 'passphrase', 'client_secret', 'APIKEY', 'api_key', 'privatekey',
            'private_key', 'privkey', 'sesskey', 'accesskey', 'credentials', 'Authorization', 'cookie', 'key', 'ssh_key'];
        return array_combine($keys, array_map(fn($k) => [$k], $keys));
    }

    public function test_keys_that_merely_contain_key_are_allowed(): void {
        foreach (['keyword', 'filekey', 'monkey', 'keys', 'key_name'] as $k) {
            $e = event::create('\archivingmod_quiz\event\task_created', ['objectid' => 1, 'contextid' => 1, 'other' => [
                'jobid' => 1, 'activity' => ['cmid' => 1, 'modname' => 'quiz', 'instanceid' => 1],
                'settings' => [$k => 1]]]);
            $this->assertSame(1, $e->other['settings'][$k]);
        }
    }
}
