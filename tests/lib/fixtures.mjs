// What bulwark-everything (examples/everything) registers, shared by the tests that list it.

// Every tool bulwark-everything lists, in its order: the 2026-07-28 fixtures (modern_tools.c) first, then the
// 2025 fixtures (tools.c), then the tasks-extension fixtures (tasks_tools.c).
export const FIXTURE_TOOLS = [
  'test_x_mcp_header', 'test_missing_capability', 'test_streaming_elicitation', 'test_logging_tool',
  'test_trigger_tool_change', 'test_trigger_prompt_change', 'test_input_required_result_elicitation',
  'test_input_required_result_sampling', 'test_input_required_result_list_roots',
  'test_input_required_result_request_state', 'test_input_required_result_multiple_inputs',
  'test_input_required_result_multi_round', 'test_input_required_result_tampered_state',
  'test_input_required_result_capabilities',
  'echo', 'add', 'slow_task', 'log_all_levels', 'bad_structured', 'test_simple_text', 'test_image_content',
  'test_audio_content', 'test_embedded_resource', 'test_multiple_content_types', 'test_tool_with_logging',
  'test_error_handling', 'test_tool_with_progress', 'json_schema_2020_12_tool', 'test_reconnection',
  'trigger_resource_update', 'toggle_extra_tool', 'test_sampling', 'test_elicitation',
  'test_elicitation_sep1034_defaults', 'test_elicitation_sep1330_enums', 'list_roots',
  'greet', 'slow_compute', 'failing_job', 'protocol_error_job', 'confirm_delete', 'multi_input', 'test_tool_with_task',
];
