package narrow.data;

import java.util.Map;

/**
 * What {@link CorpusIngest} wrote and what it left out.
 *
 * @param rows files written as rows
 * @param byLanguage rows per codeparrot language name
 * @param otherExtension files of no codeparrot language, not read
 * @param binary files with a NUL byte
 * @param undecodable files that are not UTF-8
 * @param tooLarge files over the size limit
 */
public record IngestResult(String output, long rows, Map<String, Long> byLanguage,
    long otherExtension, long binary, long undecodable, long tooLarge) {}
