//! In-process tests of the binding: PHP embedded (feature `embed`, libphp8.2-embed).
//! Run single-threaded (`make test-embed`): the embed SAPI is one engine per process.
#![allow(unsafe_code, reason = "embedded PHP for tests: the SAPI's raw hooks")]

use super::get_module;
use ext_php_rs::embed::Embed;
use ext_php_rs::ffi::sapi_module_struct;
use ext_php_rs::types::Zval;
use ext_php_rs::zend::ExecutorGlobals;

unsafe extern "C" {
    static mut php_embed_module: sapi_module_struct;
}

unsafe extern "C" fn embed_startup(sapi: *mut sapi_module_struct) -> i32 {
    // SAFETY: called by the embed SAPI at start-up with its own module struct.
    unsafe { ext_php_rs::ffi::php_module_startup(sapi, get_module()) }
}

/// One PHP request with the extension loaded as a real module (start-up, request
/// shutdown and module shutdown all run).
fn request<R: Default>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> R {
    // SAFETY: set before the engine starts; the embed SAPI reads it in php_embed_init.
    unsafe { php_embed_module.startup = Some(embed_startup) };
    Embed::run(f)
}

/// Evaluates one PHP expression; a thrown exception becomes Err(class: message).
fn eval(code: &str) -> Result<Zval, String> {
    let r = Embed::eval(code);
    if let Some(ex) = ExecutorGlobals::take_exception() {
        let msg = ex
            .try_call_method("getMessage", vec![])
            .ok()
            .and_then(|m| m.string())
            .unwrap_or_default();
        return Err(format!("{}: {msg}", ex.get_class_name().unwrap_or_default()));
    }
    r.map_err(|e| format!("{e:?}"))
}

fn string(code: &str) -> String {
    eval(code).expect(code).string().unwrap_or_default()
}

const JOB: &str = "(object)['id' => '12', 'contextid' => '34', 'userid' => '5', 'status' => '100']";

/// Triggers `\local_archiving\event\<name>` made from a job row.
fn trigger_job(name: &str) {
    let code = format!("moodle_events\\event::create_from_job('\\local_archiving\\event\\{name}', {JOB})->trigger()");
    eval(&code).unwrap();
}

#[test]
fn nothing_leaks_from_one_request_into_the_next() {
    request(|| {
        eval("$GLOBALS['log'] = new ArrayObject()").unwrap();
        eval("moodle_events\\observe('*', fn($e) => $GLOBALS['log'][] = $e->action)").unwrap();
        trigger_job("archive_job_completed");
        assert_eq!(string("implode(',', $GLOBALS['log']->getArrayCopy())"), "completed");
        eval("$GLOBALS['sink'] = moodle_events\\redirect_events()").unwrap();
        trigger_job("archive_job_completed");
        assert_eq!(string("$GLOBALS['sink']->count() . ''"), "1");
    });
    // The next request starts clean: no sink, no observer.
    request(|| {
        assert_eq!(string("var_export(moodle_events\\is_redirecting(), true)"), "false");
        eval("$GLOBALS['log'] = new ArrayObject()").unwrap();
        trigger_job("archive_job_deleted");
        assert_eq!(string("count($GLOBALS['log']) . ''"), "0");
    });
}

#[test]
fn validation_errors_are_exceptions_with_event_and_field() {
    request(|| {
        let err = eval("moodle_events\\event::create('\\local_archiving\\event\\archive_job_failed', ['objectid' => 1, 'contextid' => 1])")
            .unwrap_err();
        assert_eq!(
            err,
            "moodle_events\\validation_exception: \\local_archiving\\event\\archive_job_failed: other.cause: is required"
        );
        let field = string(
            "(function () { try { moodle_events\\event::create('\\nope', []); } catch (moodle_events\\validation_exception $e) { return $e->field; } })()",
        );
        assert_eq!(field, "eventname");
    });
}

#[test]
fn registrations_made_while_shutting_down_do_not_reach_the_next_request() {
    let dir = std::env::temp_dir().join(format!("moodle_events_embed_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("late.php");
    // A stream closed during shutdown runs PHP code that registers an observer and a sink.
    std::fs::write(
        &script,
        r#"<?php
class late_wrapper {
    public $context;
    public function stream_open($path, $mode, $options, &$opened) { return true; }
    public function stream_read($n) { return ''; }
    public function stream_eof() { return true; }
    public function stream_close() {
        moodle_events\observe('*', function ($e) { echo "LEAKED\n"; });
        $GLOBALS['late_sink'] = moodle_events\redirect_events();
    }
}
stream_wrapper_register('late', 'late_wrapper');
$GLOBALS['late_stream'] = fopen('late://x', 'r');
moodle_events\observe('*', function ($e) { $GLOBALS['seen'][] = $e->action; });
return 1;
"#,
    )
    .unwrap();
    let require = format!("require '{}'", script.display());
    request(|| {
        eval(&require).unwrap();
    });
    request(|| {
        assert_eq!(string("var_export(moodle_events\\is_redirecting(), true)"), "false");
        eval("$GLOBALS['seen'] = []").unwrap();
        trigger_job("archive_job_deleted");
        assert_eq!(
            string("count($GLOBALS['seen']) . ''"),
            "0",
            "no observer from the last request"
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// Ends the current request and starts the next one in the same engine, as php-fpm does
/// between requests (the module stays started).
fn next_request() {
    // SAFETY: inside Embed::run, a request is active; this is the SAPI's own sequence.
    unsafe {
        ext_php_rs::ffi::php_request_shutdown(std::ptr::null_mut());
        assert_eq!(ext_php_rs::ffi::php_request_startup(), 0, "request start-up");
    }
}

#[test]
fn requests_of_one_worker_share_no_state() {
    request(|| {
        // Request 1: changed limits, a Moodle-like context class, a sink, an observer.
        eval("ini_set('moodle_events.max_depth', '4')").unwrap();
        eval("ini_set('moodle_events.max_sink_events', '1')").unwrap();
        assert_eq!(string("ini_get('moodle_events.max_sink_events')"), "1");
        eval(
            "eval('class context { public $id; public $contextlevel = 70; public $instanceid = 9;
                   static function instance_by_id($id, $strict) { $c = new context; $c->id = $id; return $c; } }')",
        )
        .unwrap();
        let made = "moodle_events\\event::create_from_job('\\local_archiving\\event\\archive_job_created', (object)['id' => 1, 'contextid' => 34, 'userid' => 5, 'status' => 0])";
        assert_eq!(string(&format!("{made}->contextlevel . ''")), "70", "looked up");
        eval("$GLOBALS['sink'] = moodle_events\\redirect_events()").unwrap();
        eval("moodle_events\\observe('*', function ($e) { echo 'LEAKED'; })").unwrap();
        trigger_job("archive_job_completed");
        assert!(eval(&format!("{made}->trigger()"))
            .unwrap_err()
            .starts_with("OverflowException"));
        next_request();
        // Request 2: defaults again, no sink, no observer, no context class remembered.
        assert_eq!(string("ini_get('moodle_events.max_depth')"), "32");
        assert_eq!(string("ini_get('moodle_events.max_sink_events')"), "1000000");
        assert_eq!(string("var_export(moodle_events\\is_redirecting(), true)"), "false");
        assert_eq!(string("var_export(class_exists('context', false), true)"), "false");
        assert_eq!(
            string(&format!("var_export({made}->contextlevel, true)")),
            "NULL",
            "not looked up"
        );
        eval("ob_start()").unwrap();
        trigger_job("archive_job_completed");
        assert_eq!(string("ob_get_clean()"), "", "no observer from request 1");
        let deep = "['jobid' => 1, 'activity' => ['cmid' => 1, 'modname' => 'quiz', 'instanceid' => 1], 'settings' => ['a' => ['b' => ['c' => ['d' => 1]]]]]";
        let code = format!(
            "moodle_events\\event::create('\\archivingmod_quiz\\event\\task_created', ['objectid' => 1, 'contextid' => 1, 'other' => {deep}])->objectid . ''"
        );
        assert_eq!(string(&code), "1", "depth limit back to 32");
    });
}
